"""Scale out: the Ray executor and sharded builds merged give the single-machine bytes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from aorgen.dataset.build import ShardTask, build, render_shard
from aorgen.cli import main
from aorgen.errors import AorgenError
from aorgen.dataset.merge import merge
from aorgen.content.recipe import load_recipe
from tests.conftest import PROCEDURAL_BANK, file_hashes, write_bank, write_templates

pytestmark = pytest.mark.slow  # builds with many workers and shards (fast lane: pytest -m "not slow")


def write_mini(root: Path, shard_size: int) -> Path:
    """The mini recipe of conftest (10 clips) in ``root``, for module-scoped fixtures."""
    recipe = {
        "name": "mini",
        "templates": [str(write_templates(root / "templates"))],
        "sound_banks": [str(write_bank(root / "bank")), str(PROCEDURAL_BANK)],
        "samples_per_category": {"pseudo_harmful": 6, "harmful_contrast": 2, "benign_control": 2},
        "room": {"pool_size": 3, "probability": 0.7},
        "scene": {"procedural_bed_probability": 0.0},
        "augment": [{"name": "telephone", "probability": 0.5}],
        "split": {"test_fraction": 0.5},
        "shard_size": shard_size,
    }
    (root / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    return root / "recipe.yaml"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    """The mini recipe in 5 shards and its single-machine build with the local executor."""
    root = tmp_path_factory.mktemp("scale")
    recipe, cache = write_mini(root, shard_size=3), root / "cache"
    summary = build(load_recipe(recipe), root / "single", cache_dir=cache)
    assert summary.clips == 10 and summary.shards == 5
    return {"root": root, "recipe": recipe, "cache": cache, "reference": file_hashes(root / "single" / "mini")}


@pytest.fixture(scope="module")
def parts(world) -> list[Path]:
    """The same recipe built as three parts (--shard i/3), as three machines would."""
    recipe = load_recipe(world["recipe"])
    out = world["root"] / "parts"
    folders = [build(recipe, out, cache_dir=world["cache"], shard=(i, 3)).folder for i in range(3)]
    assert [f.name for f in folders] == [f"mini.shard-{i}-of-3" for i in range(3)]
    return folders


def test_ray_executor_gives_the_local_executors_bytes(world, tmp_path):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        summary = build(load_recipe(world["recipe"]), tmp_path, workers=2, executor="ray",
                        cache_dir=tmp_path / "cold-cache")
        assert summary.clips == 10
        assert file_hashes(tmp_path / "mini") == world["reference"]

        # a task's AorgenError comes back as itself (one line), not as a Ray traceback
        bad = ShardTask("data/x.parquet", [], [str(tmp_path / "no-such-bank")], None, str(tmp_path))
        from aorgen.dataset.executors.ray import run_ray

        with pytest.raises(AorgenError) as err:
            list(run_ray(render_shard, [bad], workers=2))
        assert "no-such-bank" in str(err.value) and "\n" not in str(err.value)
    finally:
        ray.shutdown()


def test_merged_parts_are_byte_identical_to_a_single_build(world, parts, tmp_path):
    # every part holds every third shard, nothing else
    held = [sorted(str(p.relative_to(part)) for p in part.rglob("*.parquet")) for part in parts]
    assert sorted(sum(held, [])) == sorted(k for k in world["reference"] if k.endswith(".parquet"))
    assert all(held)

    result = CliRunner().invoke(main, ["merge", str(tmp_path), *map(str, reversed(parts))])
    assert result.exit_code == 0, result.output
    # data, card, ATTRIBUTION, recipe and build record: all the same bytes
    assert file_hashes(tmp_path / "mini") == world["reference"]
    assert not list(tmp_path.glob(".mini.merging"))


def test_merge_refuses_missing_or_foreign_parts(parts, tmp_path):
    with pytest.raises(AorgenError, match="part.* 2 of 3 are missing"):
        merge(parts[:2], tmp_path)
    foreign = tmp_path / "elsewhere" / parts[2].name
    shutil.copytree(parts[2], foreign)
    text = (foreign / "recipe.yaml").read_text()
    (foreign / "recipe.yaml").write_text(text.replace("seed: 0", "seed: 1"))
    with pytest.raises(AorgenError, match="different recipe"):
        merge([*parts[:2], foreign], tmp_path)
    (parts[0] / "data").rename(tmp_path / "moved")  # a part whose files went missing
    try:
        with pytest.raises(AorgenError, match="shard files of"):
            merge(parts, tmp_path)
    finally:
        (tmp_path / "moved").rename(parts[0] / "data")
    assert not (tmp_path / "mini").exists()


def test_bad_shard_option_is_one_line(world):
    result = CliRunner().invoke(main, ["build", "--recipe", str(world["recipe"]), "--shard", "3/3"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == ["aorgen: error: --shard: expected i/N with 0 <= i < N, got '3/3'"]
