"""Data-parallel evaluation through the build's executors: ``aorgen eval --workers N
--executor ray`` (a local Ray instance with 2 CPUs, a tiny model per worker) gives the same
generations as one process, merged into one run folder."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from tests.evaluate.test_pipeline import ROWS_PER_LABEL, make_dataset

from aorgen.cli import main
from aorgen.errors import AorgenError
from aorgen.evaluate.parallel import run_eval_parallel
from aorgen.evaluate.records import GenerationOptions
from aorgen.evaluate.run import GENERATIONS_FILE, run_eval
from aorgen.testing.tiny_models import build_tiny_qwen2_audio

OPTS = dict(conditions=["audio", "text"], generation=GenerationOptions(max_new_tokens=4), batch_size=2,
            progress=False)


def _generations(run_dir) -> dict[str, tuple[str, str, str]]:
    rows = [json.loads(x) for x in (run_dir / GENERATIONS_FILE).read_text().splitlines()]
    return {r["key"]: (r["id"], r["condition"], r["response"]) for r in rows}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("par")
    return make_dataset(tmp / "ds"), build_tiny_qwen2_audio(tmp / "tiny-qwen2-audio"), tmp


@pytest.fixture(scope="module")
def one(setup):
    dataset, model, tmp = setup
    return run_eval(dataset, str(model), out=tmp / "one", name="r", **OPTS)


@pytest.mark.slow
def test_ray_workers_match_one_process(setup, one):
    ray = pytest.importorskip("ray")
    dataset, model, tmp = setup
    try:
        par = run_eval_parallel(dataset, str(model), workers=2, executor="ray", out=tmp / "ray", name="r", **OPTS)
        assert par.generated == one.generated == {"audio": 3 * ROWS_PER_LABEL, "text": 3 * ROWS_PER_LABEL}
        assert sorted(p.name for p in (tmp / "ray" / "r" / "shards").iterdir()) == ["0-of-2", "1-of-2"]
        # same content addresses, same answers: the same run as one process's
        assert _generations(tmp / "ray" / "r") == _generations(one.run_dir)
        run = json.loads((tmp / "ray" / "r" / "run.json").read_text())
        assert run["merged_shards"] == ["0-of-2", "1-of-2"] and run["shard"] is None
        again = run_eval_parallel(dataset, str(model), workers=2, executor="ray", out=tmp / "ray", name="r", **OPTS)
        assert again.generated == {} and sum(again.cached.values()) == 6 * ROWS_PER_LABEL  # resumed per shard
    finally:
        ray.shutdown()


@pytest.mark.slow
def test_local_workers_from_the_cli_match_one_process(setup, one):
    # spawned processes (the parent has run torch: forked children could deadlock)
    dataset, model, tmp = setup
    result = CliRunner().invoke(main, ["eval", "--dataset", str(dataset), "--model", str(model), "--condition",
                                       "audio,text", "--max-new-tokens", "4", "--batch-size", "2", "--workers", "2",
                                       "--out", str(tmp / "local"), "--name", "r"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert f"audio: {3 * ROWS_PER_LABEL} generated, 0 cached" in result.output
    assert _generations(tmp / "local" / "r") == _generations(one.run_dir)


def test_workers_and_shard_exclude_each_other(setup):
    dataset, model, tmp = setup
    with pytest.raises(AorgenError, match="--workers runs all of them"):
        run_eval_parallel(dataset, str(model), workers=2, shard=(0, 2), out=tmp / "x")
    result = CliRunner().invoke(main, ["eval", "--dataset", str(dataset), "--model", str(model), "--workers", "2",
                                       "--shard", "0/2", "--out", str(tmp / "x")])
    assert result.exit_code == 2 and "--shard" in result.output
