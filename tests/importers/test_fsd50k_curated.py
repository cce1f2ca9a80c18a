"""The curated FSD50K map: a tiny folder laid out like the FSD50K release, imported through the
real importer with ``--curated``, and the full release recipe planned over the imported bank."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
import yaml
from click.testing import CliRunner

from aorgen.cli import main
from aorgen.importers import import_bank
from aorgen.importers.fsd50k_map import LICENSES, TAGS
from aorgen.plan.planner import plan
from aorgen.content.recipe import load_recipe, recipe_data
from aorgen.resources import RELEASE_DIR
from aorgen.content.soundbank import load_bank, validate_bank

CC0 = "http://creativecommons.org/publicdomain/zero/1.0/"
BY3 = "http://creativecommons.org/licenses/by/3.0/"
BY4 = "https://creativecommons.org/licenses/by/4.0/"
NC3 = "http://creativecommons.org/licenses/by-nc/3.0/"
SAMPLING = "http://creativecommons.org/licenses/sampling+/1.0/"

DEV = [  # fname, labels (with FSD50K's ancestors), licence URL, seconds
    ("3001", "Tick-tock,Clock,Mechanisms", CC0, 7.0),
    ("3002", "Walk_and_footsteps,Human_locomotion", BY4, 2.0),
    ("3003", "Applause,Clapping,Hands,Human_group_actions", NC3, 3.0),  # NC: out
    ("3004", "Gong,Percussion,Musical_instrument,Music", SAMPLING, 4.0),  # Sampling+: out
    ("3005", "Gunshot_and_gunfire,Explosion", BY3, 1.0),  # reviewed: no scene
    ("3006", "Alarm,Domestic_sounds_and_home_sounds", BY3, 6.0),
]
EVAL = [
    ("4001", "Writing,Domestic_sounds_and_home_sounds", BY4, 2.5),
    ("4002", "Frying_(food),Speech", CC0, 2.0),  # speech: imported, flagged
]


def _fsd50k(root):
    for split, rows in (("dev", DEV), ("eval", EVAL)):
        audio = root / f"FSD50K.{split}_audio"
        audio.mkdir(parents=True)
        for fname, _, _, seconds in rows:
            rng = np.random.default_rng(int(fname))
            sf.write(audio / f"{fname}.wav", (0.1 * rng.standard_normal(int(seconds * 44100))).astype(np.float32),
                     44100, subtype="PCM_16")
        truth = root / "FSD50K.ground_truth"
        truth.mkdir(exist_ok=True)
        header = "fname,labels,mids,split" if split == "dev" else "fname,labels,mids"
        lines = [header] + [f'{f},"{labels}","/m/x",train'[: None if split == "dev" else -6] for f, labels, _, _ in rows]
        (truth / f"{split}.csv").write_text("\n".join(lines) + "\n")
        meta = root / "FSD50K.metadata"
        meta.mkdir(exist_ok=True)
        info = {f: {"title": f"take {f}", "description": "", "tags": [], "license": url, "uploader": f"rec{f}"}
                for f, _, url, _ in rows}
        (meta / f"{split}_clips_info_FSD50K.json").write_text(json.dumps(info))
    return root


@pytest.fixture
def fsd50k(tmp_path):
    return _fsd50k(tmp_path / "FSD50K")


def test_curated_import_keeps_only_cc0_and_cc_by_and_reviewed_labels(fsd50k, tmp_path):
    summary = import_bank(f"fsd50k:{fsd50k}", tmp_path / "bank", curated=True)
    bank = load_bank(tmp_path / "bank")
    assert validate_bank(bank) == []
    clips = {c.id: c for c in bank.catalogue.clips}
    assert sorted(clips) == ["fsd50k-3001", "fsd50k-3002", "fsd50k-3006", "fsd50k-4001", "fsd50k-4002"]
    assert {c.license for c in clips.values()} <= set(LICENSES)
    assert summary.skipped == {"licence not allowed": 2, "no mapped label": 1}
    assert clips["fsd50k-3001"].scene_tags == ("chess_tournament", "radio_drama", "classroom")
    assert clips["fsd50k-3001"].role == "background"
    assert set(clips["fsd50k-3002"].scene_tags) >= {"museum_tour", "military_museum", "history_lecture"}
    assert clips["fsd50k-3006"].scene_tags == ("fire_drill",)
    assert clips["fsd50k-4002"].contains_speech  # kept out of scenes by the planner
    # without --curated the same folder keeps every licence (the general default map)
    plain = import_bank(f"fsd50k:{fsd50k}", tmp_path / "plain")
    assert "CC-BY-NC-3.0" in plain.licenses


def test_curated_map_is_permissive_and_leaves_out_harmful_sounds():
    assert set(LICENSES) == {"CC0-1.0", "CC-BY-3.0", "CC-BY-4.0"}
    for label in ("Gunshot_and_gunfire", "Explosion", "Screaming", "Shout", "Speech"):
        assert TAGS[label] == ()


def test_curated_flag_on_the_cli_and_one_line_error_for_a_source_without_map(fsd50k, tmp_path):
    runner = CliRunner()
    ok = runner.invoke(main, ["soundbank", "import", f"fsd50k:{fsd50k}", "--out", str(tmp_path / "b"), "--curated"])
    assert ok.exit_code == 0, ok.output
    assert "licence not allowed 2" in ok.output
    (tmp_path / "esc").mkdir()
    bad = runner.invoke(main, ["soundbank", "import", f"esc50:{tmp_path / 'esc'}", "--out", str(tmp_path / "c"),
                               "--curated"])
    assert bad.exit_code == 2 and "--curated" in bad.output and len(bad.output.strip().splitlines()) == 1


def _full_recipe(fsd50k, tmp_path, categories: list[str], pseudo_harmful: int, **changes):
    """release/aor-bench-v1-full.yaml over a curated import of ``fsd50k``, scaled down."""
    import_bank(f"fsd50k:{fsd50k}", tmp_path / "fsd50k", curated=True)
    data = recipe_data(RELEASE_DIR / "aor-bench-v1-full.yaml")  # with what it extends
    data["sound_banks"] = [str(RELEASE_DIR / b) if not b.endswith("fsd50k") else str(tmp_path / "fsd50k")
                           for b in data["sound_banks"]]
    data["templates"] = [str(RELEASE_DIR / t) for t in data["templates"]]
    data["categories"] = categories
    data["samples_per_category"] = {"pseudo_harmful": pseudo_harmful, "harmful_contrast": 0, "benign_control": 0}
    data["scene_qc"].update(changes)
    path = tmp_path / "full.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_recipe(path)


def test_full_release_recipe_plans_over_an_imported_fsd50k_bank(fsd50k, tmp_path):
    recipe = _full_recipe(fsd50k, tmp_path, ["learning_events", "games_sports"], 60)
    assert recipe.scene_qc is not None
    the_plan = plan(recipe)
    assert "fsd50k" in {b.name for b in the_plan.banks}
    used = {ref.clip_id for s in the_plan.specs for ref in s.sources if ref.bank == "fsd50k"}
    assert used and used <= {"fsd50k-3001", "fsd50k-3002", "fsd50k-3006", "fsd50k-4001"}  # never the speech clip


@pytest.mark.slow
def test_full_release_recipe_builds_with_fsd50k_and_scene_qc(fsd50k, tmp_path):
    """The -full recipe end to end (voices, gate and all) on 3 clips, its CLAP swapped for a tiny one."""
    from aorgen.dataset.build import build
    from aorgen.testing.tiny_models import build_tiny_clap

    recipe = _full_recipe(fsd50k, tmp_path, ["learning_events"], 3,
                          model=str(build_tiny_clap(tmp_path / "clap", ["the", "sound", "of", "a"])))
    summary = build(recipe, tmp_path / "out", cache_dir=tmp_path / "cache")
    assert summary.clips == 3 and "scene QC: " in summary.describe()
