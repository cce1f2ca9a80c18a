"""Bad input: one line naming the file and field, exit status 2, nothing half-written (through
Click's runner; the first test runs the ``aorgen`` process itself)."""

from __future__ import annotations

import os
import subprocess

import pytest
import yaml

from tests.conftest import AORGEN, cli, fails


def _build(mini, *extra):
    return cli("build", "--recipe", mini["recipe"], "--out", mini["out"], "--cache-dir", mini["cache"], *extra)


def _assert_clean_failure(result, mini, *needles: str) -> None:
    fails(result, *needles)
    _nothing_written(mini)


def _nothing_written(mini) -> None:
    out = mini["out"]
    assert not (out / "mini").exists()
    assert not list(out.glob(".mini.partial/data/**/*.parquet")) if out.exists() else True


def _edit_recipe(mini, **changes) -> None:
    recipe = yaml.safe_load(mini["recipe"].read_text())
    recipe.update(changes)
    mini["recipe"].write_text(yaml.safe_dump(recipe))


def test_malformed_recipe_yaml(mini):
    """Through the ``aorgen`` process itself: the error line on stderr, nothing on stdout."""
    mini["recipe"].write_text("name: mini\nsamples_per_category: {pseudo_harmful: 2\n")
    result = subprocess.run([*AORGEN, "build", "--recipe", str(mini["recipe"]), "--out", str(mini["out"]),
                             "--cache-dir", str(mini["cache"])], capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(mini["recipe"]) in lines[0] and "malformed YAML" in lines[0], result.stderr
    _nothing_written(mini)


def test_recipe_field_of_the_wrong_type_names_the_field(mini):
    _edit_recipe(mini, room={"pool_size": "many"})
    _assert_clean_failure(_build(mini), mini, str(mini["recipe"]), "room.pool_size")


def test_unknown_recipe_field_is_refused(mini):
    _edit_recipe(mini, sampel_rate=16000)
    _assert_clean_failure(_build(mini), mini, "sampel_rate")


def test_malformed_template_names_file_item_and_field(mini):
    path = mini["templates"] / "pseudo_harmful" / "games_sports.yaml"
    data = yaml.safe_load(path.read_text())
    del data["scripts"][1]["rationale"]
    path.write_text(yaml.safe_dump(data))
    _assert_clean_failure(_build(mini), mini, str(path), "gs-ph-002", "rationale")


def test_template_with_broken_yaml(mini):
    path = mini["templates"] / "benign_control" / "games_sports.yaml"
    path.write_text(path.read_text() + "\n  - id: [unclosed\n")
    _assert_clean_failure(_build(mini), mini, str(path), "malformed YAML")


def test_unknown_voice_names_the_closest_matches(mini):
    _edit_recipe(mini, voices={"select": [{"engine": "espeak", "ids": ["en-us+f9"]}]})
    result = _build(mini)
    _assert_clean_failure(result, mini, "voices.ids", "en-us+f9", "closest")
    assert "en-us+f" in result.stderr.split("closest")[1]


def test_unknown_scene_tag_names_the_script(mini):
    path = mini["templates"] / "benign_control" / "games_sports.yaml"
    data = yaml.safe_load(path.read_text())
    data["scripts"][0]["scene_tags"] = ["underwater_volcano"]
    path.write_text(yaml.safe_dump(data))
    _assert_clean_failure(_build(mini), mini, "gs-bc-001", "scene_tags", "underwater_volcano")


def test_missing_audio_file(mini):
    (mini["bank"] / "audio" / "whistle.flac").unlink()
    _assert_clean_failure(_build(mini), mini, "whistle", "missing")


def test_corrupt_audio_file(mini):
    path = mini["bank"] / "audio" / "crowd-bed.flac"
    blob = bytearray(path.read_bytes())
    blob[200:260] = b"\0" * 60
    path.write_bytes(bytes(blob))
    _assert_clean_failure(_build(mini), mini, "crowd-bed", "sha256")


@pytest.mark.skipif(os.geteuid() == 0 and not os.path.exists("/usr/bin/unshare"), reason="root ignores permissions")
def test_unwritable_output(mini, tmp_path):
    target = tmp_path / "readonly"
    target.mkdir()
    target.chmod(0o500)
    try:
        if os.access(target, os.W_OK):  # running as root: permissions are not enforced
            target = tmp_path / "a-file"
            target.write_text("not a folder")
        result = cli("build", "--recipe", mini["recipe"], "--out", target / "sub")
    finally:
        (tmp_path / "readonly").chmod(0o700)
    fails(result, "--out")


def test_verbose_shows_the_traceback(mini):
    mini["recipe"].write_text("name: [\n")
    result = cli("-v", "build", "--recipe", mini["recipe"])
    assert result.exit_code == 2 and "Traceback" in result.stderr
    fails(cli("no-such-command"), "no-such-command")  # the next call in this process: one line again
