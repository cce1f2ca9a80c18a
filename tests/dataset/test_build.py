"""The build pipeline end to end: datasets round trip, determinism, resume, re-render."""

from __future__ import annotations

import pytest

import io
import signal
import subprocess
import time

import datasets
import numpy as np
import pyarrow.parquet as pq
import soundfile as sf

from aorgen.dataset.build import build
from aorgen.dataset.schema import find_row, iter_rows, load_hf
from aorgen.content.recipe import load_recipe
from aorgen.dataset.rerender import rerender_row
from tests.conftest import AORGEN, cli, fails, file_hashes


def _audio_hashes(folder) -> dict[str, bytes]:
    return {row.data["id"]: row.audio_bytes() for row in iter_rows(folder)}


def test_build_writes_a_dataset_that_datasets_loads(mini):
    summary = build(load_recipe(mini["recipe"]), mini["out"], cache_dir=mini["cache"])
    folder = mini["out"] / "mini"
    assert summary.clips == 10 and summary.qc_failed == 0
    assert {p.name for p in folder.iterdir()} >= {"README.md", "ATTRIBUTION.md", "data", "recipe.yaml"}
    assert not list(mini["out"].glob(".mini.partial"))

    ds = datasets.load_dataset(str(folder))
    assert sum(len(split) for split in ds.values()) == 10
    part = next(iter(ds.values()))
    assert isinstance(part.features["audio"], datasets.Audio)
    assert part.features["audio"].sampling_rate == 16000
    for column in ("speech", "background"):
        assert isinstance(part.features[column], datasets.Audio)
    row = load_hf(str(folder))[next(iter(ds))][0]
    samples, rate = sf.read(io.BytesIO(row["audio"]["bytes"]))
    assert rate == 16000 and abs(len(samples) / rate - row["duration_s"]) < 1e-3
    for column in ("id", "category", "label", "transcript", "scene_tags", "context", "voice_engine",
                   "voice_gender", "voice_accent", "snr_db", "rt60_s", "background_ids", "licenses",
                   "spec", "achieved_snr_db", "qc_passed", "speech", "background"):
        assert column in part.column_names

    # one config per label; the harmful contrast config holds only its label
    contrast = datasets.load_dataset(str(folder), "harmful_contrast")
    labels = {lab for split in contrast.values() for lab in split["label"]}
    assert labels == {"harmful_contrast"}

    # splits are by script: no script in both
    scripts = {name: set(split["script_id"]) for name, split in ds.items()}
    if len(scripts) == 2:
        assert not scripts["train"] & scripts["test"]


@pytest.mark.slow
def test_output_is_identical_for_one_and_two_workers(mini):
    recipe = load_recipe(mini["recipe"])
    build(recipe, mini["out"] / "w1", workers=1, cache_dir=mini["root"] / "c1")
    build(recipe, mini["out"] / "w2", workers=2, cache_dir=mini["root"] / "c2")
    one, two = mini["out"] / "w1" / "mini", mini["out"] / "w2" / "mini"
    assert _audio_hashes(one) == _audio_hashes(two)
    hashes_one, hashes_two = file_hashes(one), file_hashes(two)
    hashes_one.pop("build.json"), hashes_two.pop("build.json")
    assert hashes_one == hashes_two


@pytest.mark.slow
def test_render_gives_the_rows_bytes(mini, tmp_path):
    build(load_recipe(mini["recipe"]), mini["out"], cache_dir=mini["cache"])
    folder = mini["out"] / "mini"
    ids = [row.data["id"] for row in iter_rows(folder, columns=["id"])]
    for row_id in ids[:3]:
        out = tmp_path / f"{row_id}.flac"
        # a cold cache: speech, rooms and textures are recomputed from the spec alone
        assert rerender_row(folder, row_id, out, cache_dir=tmp_path / f"cold-{row_id}")
        assert out.read_bytes() == find_row(folder, row_id).audio_bytes()
    result = cli("render", folder, ids[0], "--out", tmp_path / "x.wav", "--cache-dir", mini["cache"])
    assert result.exit_code == 0, result.stderr
    wav, _ = sf.read(tmp_path / "x.wav", dtype="int16")
    flac, _ = sf.read(io.BytesIO(find_row(folder, ids[0]).audio_bytes()), dtype="int16")
    assert np.array_equal(wav, flac)


@pytest.mark.slow
def test_a_killed_build_resumes_to_identical_output(mini):
    reference_out = mini["out"] / "reference"
    build(load_recipe(mini["recipe"]), reference_out, cache_dir=mini["root"] / "ref-cache")
    out = mini["out"] / "killed"
    cmd = [*AORGEN, "build", "--recipe", str(mini["recipe"]), "--out", str(out),
           "--cache-dir", str(mini["root"] / "kill-cache")]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    staging = out / ".mini.partial" / "data"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if staging.exists() and len(list(staging.rglob("*.parquet"))) >= 1:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (out / "mini").exists(), "a killed build must not leave a finished-looking folder"
    written_before = len(list(staging.rglob("*.parquet")))
    assert written_before >= 1

    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"({written_before} resumed)" in result.stdout
    final = out / "mini"
    ref = file_hashes(reference_out / "mini")
    got = file_hashes(final)
    ref.pop("build.json"), got.pop("build.json")
    assert got == ref


@pytest.mark.slow
def test_existing_output_is_not_overwritten_without_flag(mini):
    recipe = load_recipe(mini["recipe"])
    build(recipe, mini["out"], cache_dir=mini["cache"])
    before = file_hashes(mini["out"] / "mini")
    fails(cli("build", "--recipe", mini["recipe"], "--out", mini["out"]), "already exists")
    assert file_hashes(mini["out"] / "mini") == before
    recipe.seed = 1
    build(recipe, mini["out"], cache_dir=mini["cache"], overwrite=True)
    assert file_hashes(mini["out"] / "mini") != before


def test_shards_hold_rows_sorted_by_id_within_label_and_split(built_mini):
    for shard in (built_mini["dataset"] / "data").rglob("*.parquet"):
        table = pq.read_table(shard, columns=["id", "label"])
        ids = table["id"].to_pylist()
        assert ids == sorted(ids) and len(ids) <= 3
        assert set(table["label"].to_pylist()) == {shard.parent.name}
