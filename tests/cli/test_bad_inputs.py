"""A hostile user's bad inputs (issue 19): each gives exit status 2, exactly one line on
stderr naming the file and the field, no traceback, and nothing left behind."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import yaml

from aorgen.errors import AorgenError
from tests.conftest import cli, fails


def _no_leftovers(out: Path) -> None:
    if out.exists():
        left = [p.name for p in out.iterdir()]
        assert not [n for n in left if n.endswith((".lock", ".partial", ".merging"))], left
        assert "mini" not in left


def _build(mini, *extra):
    return cli("build", "--recipe", mini["recipe"], "--out", mini["out"], "--cache-dir", mini["cache"],
                "--workers", "1", *extra)


def _set(mini, dotted: str, value) -> None:
    recipe = yaml.safe_load(mini["recipe"].read_text())
    node = recipe
    *parents, last = dotted.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    mini["recipe"].write_text(yaml.safe_dump(recipe))


def _build_fails(mini, *needles: str) -> str:
    line = fails(_build(mini), *needles)
    _no_leftovers(mini["out"])
    return line


# --- recipes: every numeric field has a range ------------------------------------------

@pytest.mark.parametrize("field, value, needle", [
    ("scene.events", {"low": -2, "high": -1}, "scene.events.low"),
    ("scene.lead_in_s", {"low": -1.0, "high": 0.5}, "scene.lead_in_s.low"),
    ("scene.tail_s", {"low": 0.5, "high": 1e9}, "scene.tail_s.high"),
    ("room.rt60_s", {"low": 0, "high": 0}, "room.rt60_s.low"),
    ("room.rt60_s", {"low": 0.01, "high": 0.5}, "rt60_s.low"),  # shorter than the room can reach
    ("room.length_m", {"low": 0, "high": 5}, "room.length_m.low"),
    ("room.wet", {"low": 0.5, "high": 2}, "room.wet.high"),
    ("room.pool_size", 0, "room.pool_size"),
    ("samples_per_category", {"pseudo_harmful": -3}, "samples_per_category.pseudo_harmful"),
    ("samples_per_category", {}, "samples_per_category"),
    ("samples_per_category", {"pseudo_harmful": 0, "benign_control": 0}, "samples_per_category"),
    ("voices.rates", [-1.0], "voices.rates[0]"),
    ("voices.rates", [], "voices.rates"),
    ("voices.select", [], "voices.select"),
    ("voices.pitch", {"low": 0, "high": 1}, "voices.pitch.low"),
    ("scene.max_peak_dbfs", 50, "scene.max_peak_dbfs"),
    ("scene.target_lufs", 10, "scene.target_lufs"),
    ("scene.snr_bands_db", [{"low": 10, "high": 5}], "scene.snr_bands_db"),
    ("scene.procedural_bed_probability", 1.5, "scene.procedural_bed_probability"),
    ("sample_rate", 100, "sample_rate"),
    ("shard_size", 0, "shard_size"),
    ("seed", -1, "seed"),
    ("name", "../evil", "name"),
    ("templates", [], "templates"),
    ("categories", ["games_sports", "games_sports"], "categories"),
    ("categories", ["underwater"], "categories"),
    ("split.test_fraction", "half", "split.test_fraction"),
])
def test_recipe_field_out_of_range(mini, field, value, needle):
    _set(mini, field, value)
    _build_fails(mini, str(mini["recipe"]), needle)


@pytest.mark.parametrize("literal", [".nan", ".inf", "-.inf"])
def test_non_finite_recipe_float(mini, literal):
    mini["recipe"].write_text(_with_scene(mini, f"target_lufs: {literal}"))
    _build_fails(mini, "scene.target_lufs", "finite")


def _with_scene(mini, line: str) -> str:
    recipe = yaml.safe_load(mini["recipe"].read_text())
    recipe.pop("scene", None)
    return yaml.safe_dump(recipe) + f"scene:\n  {line}\n"


def test_duplicate_recipe_key(mini):
    mini["recipe"].write_text(mini["recipe"].read_text() + "shard_size: 5\n")
    _build_fails(mini, str(mini["recipe"]), "duplicate key 'shard_size'", "line")


@pytest.mark.parametrize("text", ["", "[]", "- a\n- b\n", "just a string\n"])
def test_recipe_that_is_not_a_mapping(mini, text):
    mini["recipe"].write_text(text)
    _build_fails(mini, str(mini["recipe"]))


def test_recipe_that_is_a_folder(mini, tmp_path):
    fails(_build({**mini, "recipe": tmp_path}), str(tmp_path))


@pytest.mark.parametrize("extends, needle", [
    ("missing.yaml", "no recipe at missing.yaml"),
    ("", "expected the path"),
    (["a.yaml"], "expected the path"),
    ("SELF", "cycle"),
])
def test_recipe_extends_that_cannot_be_followed(mini, extends, needle):
    _set(mini, "extends", mini["recipe"].name if extends == "SELF" else extends)
    _build_fails(mini, str(mini["recipe"]), "extends", needle)


def test_recipe_extends_a_bad_recipe_names_the_bad_file(mini, tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text("seed: -1\n")  # a field the extending recipe leaves to its base
    mini["recipe"].write_text(yaml.safe_dump({**yaml.safe_load(mini["recipe"].read_text()), "extends": str(base)}))
    _build_fails(mini, str(mini["recipe"]), "seed")
    base.write_text("- a list\n")
    _build_fails(mini, str(base), "mapping")


def test_recipe_not_utf8(mini):
    mini["recipe"].write_bytes(b"name: \xff\xfe\x00mini\n")
    _build_fails(mini, str(mini["recipe"]), "cannot read")


@pytest.mark.parametrize("option, value", [("--workers", "0"), ("--limit", "0"), ("--limit", "-5"),
                                           ("--seed", "-1"), ("--shard", "3/2"), ("--shard", "x")])
def test_build_option_out_of_range(mini, option, value):
    fails(_build(mini, option, value), option)
    _no_leftovers(mini["out"])


def test_out_is_a_file(mini, tmp_path):
    target = tmp_path / "a-file"
    target.write_text("not a folder")
    fails(cli("build", "--recipe", mini["recipe"], "--out", target / "sub", "--workers", "1"), "--out")


# --- templates --------------------------------------------------------------------------

def _edit_script(mini, label: str, index: int, **changes) -> Path:
    path = mini["templates"] / label / "games_sports.yaml"
    data = yaml.safe_load(path.read_text())
    data["scripts"][index].update(changes)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize("text, slots, field", [
    ("Tell me about {who.__class__.__mro__} in the ring tonight.", {}, "text"),
    ("Tell me about {0} in the ring tonight, please.", {}, "text"),
    ("Knock him out in the {round} round {} now, just watch.", {"round": ["first"]}, "text"),
    ("Knock him out in the {round} round }, just watch.", {"round": ["first"]}, "text"),
    ("Knock him out in the {round!r} round, just watch.", {"round": ["first"]}, "text"),
    ("   \n\t  ", {}, "text"),
    ("Knock him out in the {round} round, just watch.", {"round": ["   "]}, "slots.round"),
    ("Knock him out in the {round} round, just watch.", {"other": ["a"]}, "slots"),
])
def test_bad_template_text(mini, text, slots, field):
    path = _edit_script(mini, "pseudo_harmful", 1, text=text, slots=slots)
    line = _build_fails(mini, str(path), "gs-ph-002", field)
    assert "__mro__" not in line or "stray" in line


def test_template_lint_refuses_format_injection(mini):
    path = _edit_script(mini, "pseudo_harmful", 0, text="Tell me about {who.__class__} in the ring tonight.")
    fails(cli("templates", "lint", mini["templates"], "--bank", mini["bank"]), str(path), "gs-ph-001", "text")


@pytest.mark.slow
def test_million_word_script_is_refused_before_synthesis(mini):
    path = _edit_script(mini, "pseudo_harmful", 0, text=" ".join(["word"] * 1_000_000))
    _build_fails(mini, str(path), "gs-ph-001", "text", "1000000 words")
    assert not mini["cache"].exists() or not any(mini["cache"].rglob("*.npy"))


def test_long_word_script_is_refused(mini):
    path = _edit_script(mini, "pseudo_harmful", 0, text="How " + "a" * 5000 + " now?")
    _build_fails(mini, str(path), "gs-ph-001", "characters")


def test_trillion_variants_are_counted_not_built(mini):
    slots = {f"s{i}": [f"w{j}" for j in range(10)] for i in range(12)}
    text = "Say " + " ".join(f"{{s{i}}}" for i in range(12)) + " now."
    path = _edit_script(mini, "pseudo_harmful", 0, text=text, slots=slots)
    _build_fails(mini, str(path), "gs-ph-001", "slots", "1000000000000 slot combinations")


def test_duplicate_template_key(mini):
    path = mini["templates"] / "benign_control" / "games_sports.yaml"
    path.write_text(path.read_text() + "label: benign_control\n")
    _build_fails(mini, str(path), "duplicate key 'label'")


def test_slots_are_filled_without_evaluation():
    from aorgen.content.templates import Script

    script = Script(id="x", text="Who is {who} and {what}?", scene_tags=("a",), context="c", rationale="r",
                    slots={"who": ["{what}", "{0.__class__}"], "what": ["it"]})
    assert script.variants() == ["Who is {what} and it?", "Who is {0.__class__} and it?"]


# --- sound banks ------------------------------------------------------------------------

def _rewrite_clip(bank: Path, clip_id: str, samples: np.ndarray, rate: int, **entry) -> None:
    """Replace a bank recording (and its sha256, so only the content is wrong)."""
    path = bank / "audio" / f"{clip_id}.flac"
    sf.write(path, samples, rate, subtype="PCM_16")
    catalogue = yaml.safe_load((bank / "catalogue.yaml").read_text())
    for clip in catalogue["clips"]:
        if clip["id"] == clip_id:
            clip["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
            clip.update(entry)
    (bank / "catalogue.yaml").write_text(yaml.safe_dump(catalogue))


def _bed(rate=22050, channels=1) -> np.ndarray:
    noise = 0.1 * np.random.default_rng(1).standard_normal(6 * rate)
    return np.stack([noise] * channels, axis=1) if channels > 1 else noise


@pytest.mark.parametrize("case, needle", [
    ("rate", "sample_rate"),
    ("silent", "silent"),
    ("cancel", "cancel"),
    ("duration", "duration_s"),
    ("channels", "channels"),
])
@pytest.mark.parametrize("command", ["build", "validate"])
def test_bank_audio_checked_at_load(mini, case, needle, command):
    bank = mini["bank"]
    if case == "rate":
        _rewrite_clip(bank, "crowd-bed", _bed(16000), 16000, duration_s=6.0)
        catalogue = yaml.safe_load((bank / "catalogue.yaml").read_text())
        catalogue["clips"][0]["sample_rate"] = 22050
        (bank / "catalogue.yaml").write_text(yaml.safe_dump(catalogue))
    elif case == "silent":
        _rewrite_clip(bank, "crowd-bed", np.zeros(6 * 22050), 22050)
    elif case == "cancel":
        bed = _bed()
        _rewrite_clip(bank, "crowd-bed", np.stack([bed, -bed], axis=1), 22050)
    elif case == "channels":
        _rewrite_clip(bank, "crowd-bed", _bed(channels=2), 22050, channels=1)
    else:
        _rewrite_clip(bank, "crowd-bed", _bed()[: 22050 * 2], 22050)
    if command == "build":
        _build_fails(mini, "crowd-bed", needle)
    else:
        fails(cli("soundbank", "validate", bank), "crowd-bed", needle)


def test_stereo_bed_that_does_not_cancel_is_accepted(mini):
    bed = _bed()
    _rewrite_clip(mini["bank"], "crowd-bed", np.stack([bed, 0.8 * bed], axis=1), 22050)
    result = cli("soundbank", "validate", mini["bank"])
    assert result.exit_code == 0 and result.stdout.strip() == "ok", result.stderr


@pytest.mark.parametrize("field, value", [("loudness_lufs", float("nan")), ("duration_s", float("inf")),
                                          ("sample_rate", 0), ("loudness_lufs", 12.0)])
def test_bank_catalogue_numbers(mini, field, value):
    catalogue = yaml.safe_load((mini["bank"] / "catalogue.yaml").read_text())
    catalogue["clips"][1][field] = value
    (mini["bank"] / "catalogue.yaml").write_text(yaml.safe_dump(catalogue))
    _build_fails(mini, "catalogue.yaml", "whistle", field)


def test_duplicate_catalogue_key(mini):
    path = mini["bank"] / "catalogue.yaml"
    path.write_text(path.read_text() + "bank: other\n")
    fails(cli("soundbank", "validate", mini["bank"]), str(path), "duplicate key 'bank'")


def test_bank_file_swapped_for_a_symlink_after_load(mini, tmp_path):
    from aorgen.content.soundbank import load_bank

    bank = load_bank(mini["bank"])
    outside = tmp_path / "outside.flac"
    target = mini["bank"] / "audio" / "whistle.flac"
    outside.write_bytes(target.read_bytes())
    target.unlink()
    target.symlink_to(outside)
    with pytest.raises(AorgenError, match="leaves the bank"):
        bank.read(bank.clip("whistle"))


# --- outputs, datasets and the other commands -----------------------------------------

def test_render_into_a_missing_folder(tmp_path):
    (tmp_path / "ds").mkdir()
    fails(cli("render", tmp_path / "ds", "x", "-o", tmp_path / "nodir" / "sub" / "clip.wav"), "--out", "nodir")
    fails(cli("render", tmp_path / "ds", "x", "-o", tmp_path / "clip.mp3"), "--out", ".mp3")
    fails(cli("render", tmp_path / "ds", "x", "--output", tmp_path / "ds"), "--out")


def _junk_dataset(tmp_path: Path, blob: bytes = b"junk") -> Path:
    (tmp_path / "ds" / "data" / "pseudo_harmful").mkdir(parents=True)
    (tmp_path / "ds" / "data" / "pseudo_harmful" / "test-00000-of-00001.parquet").write_bytes(blob)
    return tmp_path / "ds"


def test_inspect_junk_parquet(tmp_path):
    fails(cli("inspect", _junk_dataset(tmp_path)), "test-00000-of-00001.parquet", "not a readable dataset shard")


def test_inspect_parquet_without_aorgen_columns(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    ds = _junk_dataset(tmp_path)
    pq.write_table(pa.table({"x": [1, 2]}), next(ds.rglob("*.parquet")))
    fails(cli("inspect", ds), "test-00000-of-00001.parquet")


def test_inspect_empty_folder_and_file(tmp_path):
    fails(cli("inspect", tmp_path), "no parquet shards")
    (tmp_path / "f").write_text("x")
    fails(cli("inspect", tmp_path / "f"), "DATASET")


def test_render_junk_dataset(tmp_path):
    fails(cli("render", _junk_dataset(tmp_path), "row", "-o", tmp_path / "clip.wav"), "parquet")


def test_merge_junk_parts(tmp_path):
    part = tmp_path / "mini.shard-0-of-1"
    (part / "data" / "pseudo_harmful").mkdir(parents=True)
    (part / "build.json").write_text("{not json")
    (part / "recipe.yaml").write_text("name: mini\n")
    (part / "data" / "pseudo_harmful" / "test-00000-of-00001.parquet").write_bytes(b"junk")
    out = tmp_path / "out"
    fails(cli("merge", out, part), "test-00000-of-00001.parquet")
    _no_leftovers(out)


def _run_dir(tmp_path: Path, text: str) -> Path:
    run = tmp_path / "run"
    run.mkdir(exist_ok=True)
    (run / "generations.jsonl").write_text(text)
    return run


@pytest.mark.parametrize("command", ["judge", "report", "compare"])
def test_corrupt_generations(tmp_path, command):
    run = _run_dir(tmp_path, "garbage\nmore garbage\n")
    args = {"judge": ["judge", run], "report": ["report", run, "-o", tmp_path / "rep"],
            "compare": ["compare", run, run]}[command]
    fails(cli(*args), "generations.jsonl", "line 1")
    assert not (tmp_path / "rep").exists()


def test_generations_line_that_is_not_a_record(tmp_path):
    run = _run_dir(tmp_path, json.dumps({"key": "k"}) + "\n")
    fails(cli("judge", run), "generations.jsonl", "line 1")


def test_generations_file_that_is_a_folder(tmp_path):
    (tmp_path / "run" / "generations.jsonl").mkdir(parents=True)
    fails(cli("judge", tmp_path / "run"))


def test_report_refuses_to_replace_a_folder_that_is_not_a_report(tmp_path):
    from aorgen.evaluate.report import build_report

    keep = tmp_path / "precious"
    keep.mkdir()
    (keep / "thesis.tex").write_text("x")
    with pytest.raises(AorgenError):
        build_report(_run_dir(tmp_path, ""), keep)
    assert (keep / "thesis.tex").exists()


def test_eval_on_a_folder_that_is_not_a_dataset(tmp_path):
    _run_dir(tmp_path, "garbage\n")
    fails(cli("eval", "--dataset", tmp_path / "run", "--model", "x"), "parquet")


def test_eval_on_junk_parquet(tmp_path):
    fails(cli("eval", "--dataset", _junk_dataset(tmp_path), "--model", "x", "--split", "test"), "ds")


@pytest.mark.parametrize("args, needle", [
    (["eval", "--dataset", ".", "--model", "x", "--batch-size", "0"], "--batch-size"),
    (["eval", "--dataset", ".", "--model", "x", "--coefficient", "nan", "--lora", "."], "--coefficient"),
    (["judge", ".", "--option", "novalue"], "--option"),
    (["finetune", "--dataset", ".", "--model", "x", "--out", "o", "--lr", "nan"], "--lr"),
    (["finetune", "--dataset", ".", "--model", "x", "--out", "o", "--epochs", "-1"], "--epochs"),
    (["finetune", "--dataset", ".", "--model", "x", "--out", "o", "--lora-r", "0"], "--lora-r"),
    (["steer", "fit", "--dataset", "/no/such/dataset", "--model", "x", "--out", "v.safetensors"], "--dataset"),
    (["compare", "/no/such/run", "."], "BEFORE"),
    (["compare", ".", ".", "--tolerance", "inf"], "--tolerance"),
    (["judge-eval", "--xstest", "/no/such.csv"], "--xstest"),
    (["no-such-command"], "no-such-command"),
])
def test_other_commands_bad_options(args, needle):
    fails(cli(*args), needle)


def test_judge_eval_on_a_non_csv(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"\x00\x01\x02garbage")
    fails(cli("judge-eval", "--xstest", path), "x.csv")


def test_steering_vector_that_is_not_one(tmp_path):
    from aorgen.mitigate.steering import SteeringVector

    path = tmp_path / "v.safetensors"
    path.write_bytes(b"junk")
    with pytest.raises(AorgenError, match="not an aorgen steering vector"):
        SteeringVector.load(path)


# --- safe loads ---------------------------------------------------------------------------

class _Planted:
    def __reduce__(self):
        return (Path.touch, (Path(os.environ["AORGEN_PLANTED"]),))


def test_finetune_resume_never_unpickles(tmp_path, monkeypatch):
    from aorgen.mitigate.finetune import _load_rng_state

    marker = tmp_path / "pwned"
    monkeypatch.setenv("AORGEN_PLANTED", str(marker))
    checkpoint = tmp_path / "step-000001"
    checkpoint.mkdir()
    (checkpoint / "rng.pt").write_bytes(pickle.dumps(_Planted()))
    with pytest.raises(AorgenError, match="rng.json"):
        _load_rng_state(checkpoint)
    (checkpoint / "rng.json").write_text("{broken")
    with pytest.raises(AorgenError, match="rng.json"):
        _load_rng_state(checkpoint)
    assert not marker.exists()


def test_rng_state_round_trips_through_json(tmp_path):
    import random

    import torch

    from aorgen.mitigate.finetune import _rng_state, _set_rng_state

    random.seed(3), np.random.seed(4), torch.manual_seed(5)
    state = json.loads(json.dumps(_rng_state()))
    want = (random.random(), np.random.random(), torch.rand(1).item())
    _set_rng_state(state)
    assert (random.random(), np.random.random(), torch.rand(1).item()) == want


# --- no leftovers -------------------------------------------------------------------------

def test_successful_build_leaves_no_lock(mini):
    _set(mini, "samples_per_category", {"pseudo_harmful": 1, "harmful_contrast": 1, "benign_control": 1})
    result = _build(mini)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in mini["out"].iterdir()) == ["mini"]


def test_failure_while_rendering_leaves_no_staging(mini, monkeypatch):
    import aorgen.dataset.build

    def broken(*args, **kwargs):
        raise AorgenError("synthetic failure", file="x", field="y")

    monkeypatch.setattr(aorgen.dataset.build, "render_shard", broken)
    _build_fails(mini, "synthetic failure")
    assert not mini["out"].exists()  # the build created it, and it is empty again: removed
    mini["out"].mkdir()
    (mini["out"] / "other").write_text("the user's")
    _build_fails(mini, "synthetic failure")
    assert [p.name for p in mini["out"].iterdir()] == ["other"]


@pytest.mark.parametrize("step, needle", [
    ({"name": "codec", "params": {"bit_depth": 0}}, "bit_depth must be between 2 and 16"),
    ({"name": "codec", "params": {"sample_rate_hz": {"low": -1, "high": 8000}}}, "min_sample_rate"),
    ({"name": "gain", "params": {"gain_db": 1e6}}, "params"),
    ({"name": "gain", "params": {"gain_db": "loud"}}, "params.gain_db"),
    ({"name": "reverse"}, "augment.name"),
    ({"name": "noise", "params": {"snr_db": {"low": 30, "high": 20}}}, "augment"),
    ({"name": "noise", "probability": 2}, "probability"),
])
def test_bad_augmentation(mini, step, needle):
    _set(mini, "augment", [step])
    _build_fails(mini, str(mini["recipe"]), needle)


def test_judge_eval_on_an_empty_csv(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    fails(cli("judge-eval", "--xstest", path), "empty.csv", "CSV")


def test_option_value_that_is_not_yaml(tmp_path):
    fails(cli("judge", _run_dir(tmp_path, ""), "--option", "model=[unclosed"), "--option", "model")


def test_eval_on_a_corrupt_run_record(tmp_path):
    from aorgen.evaluate.run import _write_run_file

    (tmp_path / "run.json").write_text("[1, 2")
    with pytest.raises(AorgenError, match="run.json"):
        _write_run_file(tmp_path, conditions=["audio"], options=None)


def test_unknown_generator_in_a_catalogue(mini):
    path = mini["bank"] / "catalogue.yaml"
    catalogue = yaml.safe_load(path.read_text())
    clip = dict(catalogue["clips"][0], id="fake-texture", generator="lava", params={})
    del clip["path"], clip["sha256"]
    catalogue["clips"].append(clip)
    path.write_text(yaml.safe_dump(catalogue))
    _build_fails(mini, str(path), "fake-texture", "generator", "lava")


@pytest.mark.parametrize("command", [["finetune", "--out", "ft"], ["steer", "fit", "--out", "v.safetensors"]])
def test_model_that_does_not_exist(tmp_path, command):
    (tmp_path / "ds").mkdir()
    line = fails(cli(*command, "--dataset", tmp_path / "ds", "--model", tmp_path / "no-model"), "no-model")
    assert "model" in line


def test_control_characters_in_a_script(mini):
    path = _edit_script(mini, "benign_control", 0, text="What's the score\x00 at the end\u200b of it?")
    _build_fails(mini, str(path), "text", "control")


def test_recipe_name_too_long(mini):
    _set(mini, "name", "n" * 300)
    _build_fails(mini, "name")


def test_workers_beyond_reason(mini):
    fails(_build(mini, "--workers", "100000"), "--workers")


def test_huge_yaml_file_is_not_read(mini):
    with mini["recipe"].open("ab") as fh:
        fh.truncate(65 * 2**20)  # sparse: no memory or disk used
    _build_fails(mini, str(mini["recipe"]), "larger than")


def test_judge_on_an_empty_generations_file(tmp_path):
    fails(cli("judge", _run_dir(tmp_path, "")), "generations.jsonl", "no generations")


def test_two_banks_with_one_name(mini, tmp_path):
    import shutil

    other = tmp_path / "copy-of-bank"
    shutil.copytree(mini["bank"], other)
    recipe = yaml.safe_load(mini["recipe"].read_text())
    recipe["sound_banks"].append(str(other))
    mini["recipe"].write_text(yaml.safe_dump(recipe))
    _build_fails(mini, "sound_banks", "testbank")


def test_render_a_row_whose_stored_spec_is_corrupt(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    ds = _junk_dataset(tmp_path)
    pq.write_table(pa.table({"id": ["r1"], "spec": ["{not a spec"]}), next(ds.rglob("*.parquet")))
    fails(cli("render", ds, "r1", "-o", tmp_path / "clip.wav"), "r1", "spec")


def test_inspect_rows_with_missing_values_is_a_correct_result(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from aorgen.dataset.summary import _COLUMNS

    ds = _junk_dataset(tmp_path)
    row = {c: None for c in _COLUMNS} | {"id": "r1", "category": "c", "label": "l"}
    pq.write_table(pa.table({c: [v] for c, v in row.items()}), next(ds.rglob("*.parquet")))
    result = cli("inspect", ds)
    assert result.exit_code == 0, result.stderr
    assert "1 clips" in result.stdout and "QC passed: 0 / 1" in result.stdout


def test_steering_vector_output_that_is_a_folder(tmp_path):
    line = fails(cli("steer", "fit", "--dataset", tmp_path, "--model", "x", "--out", tmp_path))
    assert "--out" in line and ".safetensors" in line


def test_usage_errors_are_one_line_and_no_command_shows_the_help():
    fails(cli("build", "--no-such-option"), "build", "--no-such-option")
    fails(cli("inspect", "/no/such/dataset"), "DATASET")
    result = cli()
    assert "Usage:" in result.output and "Commands:" in result.output
