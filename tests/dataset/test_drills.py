"""Reliability drills: a build killed at several points, a corrupted cache, a full disk and a
second build into the same folder. Each ends with the bytes of an undisturbed build (or
with the previous output untouched and one line of error)."""

from __future__ import annotations

import errno
import multiprocessing
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import aorgen.dataset.build
import aorgen.dataset.schema
from aorgen.dataset.build import build
from aorgen.render.cache import ArrayCache
from aorgen.cli import main
from aorgen.content.recipe import load_recipe
from tests.conftest import file_hashes
from tests.dataset.test_scale import write_mini

pytestmark = pytest.mark.slow  # crash drills: builds killed and resumed (fast lane: pytest -m "not slow")

FORK = multiprocessing.get_context("fork")  # a build in a child that already has aorgen imported


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    """The mini recipe with one clip per shard (10 shards: many points to kill at) and its
    undisturbed build."""
    root = tmp_path_factory.mktemp("drills")
    recipe, cache = write_mini(root, shard_size=1), root / "cache"
    summary = build(load_recipe(recipe), root / "undisturbed", cache_dir=cache)
    assert summary.shards == 10
    folder = root / "undisturbed" / "mini"
    return {"recipe": recipe, "cache": cache, "folder": folder, "reference": file_hashes(folder)}


def _build(recipe: Path, out: Path, cache: Path, workers: int, kill_at: str | None) -> None:
    if kill_at:
        os.environ["AORGEN_DRILL_KILL"] = kill_at
    build(load_recipe(recipe), out, workers=workers, cache_dir=cache)


def _start(world: dict, out: Path, cache: Path, *, workers: int = 1, kill_at: str | None = None):
    child = FORK.Process(target=_build, args=(world["recipe"], out, cache, workers, kill_at))
    child.start()
    return child


def _killed(world: dict, out: Path, cache: Path, kill_at: str, workers: int = 1) -> list[Path]:
    child = _start(world, out, cache, workers=workers, kill_at=kill_at)
    child.join(120)
    assert child.exitcode == -signal.SIGKILL
    assert not (out / "mini").exists(), "a killed build must not leave a finished-looking folder"
    return sorted((out / ".mini.partial" / "data").rglob("*.parquet"))


def _cli(*args: str):
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stderr.strip().splitlines()


def test_killed_at_several_points_resumes_to_identical_bytes(world, tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    assert len(_killed(world, out, cache, "after-shard-1")) == 1
    # in the middle, with a process pool: its workers die with the build and free the lock
    assert len(_killed(world, out, cache, "after-shard-4", workers=2)) >= 5
    torn = out / ".mini.partial" / "data" / "pseudo_harmful" / ".train-00000-of-00003.parquet.4242.tmp"
    torn.write_bytes(b"half a parquet file")  # a write cut short by the kill
    # during finalisation: every shard and the card written, the folder not yet in place
    assert len(_killed(world, out, cache, "finalise")) == 10
    assert (out / ".mini.partial" / "README.md").exists()

    summary = build(load_recipe(world["recipe"]), out, cache_dir=cache)
    assert summary.shards_resumed == 10 and summary.clips == 0
    assert file_hashes(out / "mini") == world["reference"]
    assert sorted(p.name for p in out.iterdir()) == ["mini"]  # no lock file left behind


def test_a_shard_torn_by_a_power_cut_is_rendered_again(world, tmp_path):
    """Shards are synced to disk only before the folder is swapped in, so after a power cut a
    shard the resumed build finds may be cut short or empty: it is rendered again."""
    out, cache = tmp_path / "out", tmp_path / "cache"
    shards = _killed(world, out, cache, "after-shard-4")
    assert len(shards) == 4
    shards[0].write_bytes(shards[0].read_bytes()[:1000])  # cut short
    shards[1].write_bytes(b"")  # allocated, never written
    summary = build(load_recipe(world["recipe"]), out, cache_dir=cache)
    assert summary.shards_resumed == 2 and summary.clips == 8
    assert file_hashes(out / "mini") == world["reference"]


def test_corrupted_cache_entries_are_recomputed(world, tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(world["cache"], cache)
    originals = {p: p.read_bytes() for p in sorted(cache.rglob("*.npy"))}
    speech = [p for p in originals if p.parts[-3] in ("speech", "premix")]
    rirs = [p for p in originals if p.parts[-3] == "rir"]
    assert speech and rirs
    for path in speech:  # flip bytes in the samples: np.load alone would not notice
        blob = bytearray(originals[path])
        blob[len(blob) // 2] ^= 0xFF
        path.write_bytes(bytes(blob))
    rirs[0].write_bytes(originals[rirs[0]][:100])  # a torn entry
    for path in (speech[0], speech[-1]):  # a premix entry and a speech entry: detected (and dropped)
        assert path.exists() and ArrayCache(cache, path.parts[-3]).get(path.stem) is None and not path.exists()

    build(load_recipe(world["recipe"]), tmp_path / "out", cache_dir=cache)
    assert file_hashes(tmp_path / "out" / "mini") == world["reference"]
    assert {p: p.read_bytes() for p in [*speech, rirs[0]]} == {p: originals[p] for p in [*speech, rirs[0]]}


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.fixture
def small_disk(world, tmp_path):
    """A folder with room for the finished dataset and little more: a small tmpfs when we may
    mount one, else a dataset writer that fails with ENOSPC. Yields the folder and a function
    that lifts the fallback's failure."""
    disk = tmp_path / "disk"
    disk.mkdir()
    size = sum(p.stat().st_size for p in world["folder"].rglob("*")) * 4 // 3 + 64 * 1024
    try:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)],
                                 capture_output=True).returncode == 0
    except OSError:  # no mount command
        mounted = False
    patch = pytest.MonkeyPatch()
    if not mounted:
        patch.setattr(aorgen.dataset.schema, "atomic_write_bytes", _no_space)
    try:
        yield disk, patch.undo
    finally:
        patch.undo()
        if mounted:
            subprocess.run(["umount", str(disk)], check=True)


@pytest.mark.parametrize("full_at", ["shards", "card"])
def test_a_full_disk_is_one_line_and_the_previous_output_stays(world, tmp_path, request, full_at):
    if full_at == "shards":
        disk, lift = request.getfixturevalue("small_disk")
    else:  # every shard fits, the card does not
        disk, patch = tmp_path / "disk", pytest.MonkeyPatch()
        patch.setattr(aorgen.dataset.build, "atomic_write_bytes", _no_space)
        lift = patch.undo
        request.addfinalizer(patch.undo)
    shutil.copytree(world["folder"], disk / "mini")  # the previous finished build
    code, lines = _cli("build", "--recipe", str(world["recipe"]), "--out", str(disk),  # writes every shard again
                       "--cache-dir", str(world["cache"]), "--overwrite", "--no-reuse")
    assert code == 2 and len(lines) == 1
    assert lines[0].startswith(f"aorgen: error: {disk}/.mini.partial") and "No space left on device" in lines[0]
    assert file_hashes(disk / "mini") == world["reference"]

    # make room and run again: it resumes from the shards already written
    lift()
    shutil.rmtree(disk / "mini")
    summary = build(load_recipe(world["recipe"]), disk, cache_dir=world["cache"])
    if full_at == "card":
        assert summary.shards_resumed == 10 and summary.clips == 0
    assert file_hashes(disk / "mini") == world["reference"]


def test_a_second_build_into_the_same_folder_is_refused(world, tmp_path):
    out = tmp_path / "out"
    first = _start(world, out, tmp_path / "cache")
    marker = out / ".mini.partial" / ".plan-sha256"
    deadline = time.time() + 120
    while not marker.exists() and first.is_alive() and time.time() < deadline:
        time.sleep(0.01)
    os.kill(first.pid, signal.SIGSTOP)  # the first build holds the lock, mid-way
    try:
        assert not (out / "mini").exists()
        code, lines = _cli("build", "--recipe", str(world["recipe"]), "--out", str(out),
                           "--cache-dir", str(tmp_path / "cache"))
        assert code == 2
        assert lines == [f"aorgen: error: {out / 'mini'}: another build is writing this dataset; "
                         "wait for it to finish"]
    finally:
        os.kill(first.pid, signal.SIGCONT)
    first.join(120)
    assert first.exitcode == 0
    assert file_hashes(out / "mini") == world["reference"]
