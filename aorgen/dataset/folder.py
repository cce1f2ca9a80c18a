"""The dataset folder's lifecycle, shared by build, merge and the bank importers: the lock
against a second writer, the staging folder (resumable or discarded), one-line errors for a
full disk, whole-shard checks, and the atomic swap into place. Also the crash drills'
kill points (tests/dataset/test_drills.py)."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
from contextlib import contextmanager
from pathlib import Path

import pyarrow.parquet as pq

from aorgen.errors import AorgenError


@contextmanager
def build_lock(out: Path, name: str):
    """Refuse a second build into the same folder while one runs. The lock file is removed
    when the build ends, successful or not (a file whose inode changed under us was removed
    by the build that held it: that one counts as held)."""
    lock_path = out / f".{name}.lock"
    with open(lock_path, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.stat(lock_path).st_ino != os.fstat(fh.fileno()).st_ino:
                raise BlockingIOError
        except (BlockingIOError, FileNotFoundError):
            raise AorgenError("another build is writing this dataset; wait for it to finish",
                              file=out / name) from None
        try:
            yield
        finally:
            lock_path.unlink(missing_ok=True)
            fcntl.flock(fh, fcntl.LOCK_UN)


def discard_unresumable(staging: Path) -> None:
    """After a failed build, remove the staging folder unless it holds finished shards that
    a rerun resumes (README, "Build behaviour")."""
    if staging.is_dir() and not any(staging.glob("data/**/*.parquet")):
        shutil.rmtree(staging, ignore_errors=True)


@contextmanager
def write_errors(folder: Path):
    """A full disk or an unwritable folder is one line naming the file, not a traceback."""
    try:
        yield
    except OSError as exc:
        raise AorgenError(f"{exc.strerror or exc} (run again to resume)", file=exc.filename or folder) from None


@contextmanager
def discard_on_error(staging: Path, created: Path | None):
    """Tidy up after a failed build: unresumable staging, and the output folder if this build
    created it and it is empty."""
    try:
        yield
    except Exception:
        discard_unresumable(staging)
        if created is not None:
            try:
                created.rmdir()
            except OSError:  # not empty (or gone): leave it
                pass
        raise


def drill(point: str) -> None:
    """Reliability drills (tests/dataset/test_drills.py): ``AORGEN_DRILL_KILL=<point>`` SIGKILLs the build there."""
    if os.environ.get("AORGEN_DRILL_KILL") == point:
        os.kill(os.getpid(), signal.SIGKILL)


def prepare_out(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".aorgen-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise AorgenError(f"output folder is not writable: {exc.strerror or exc}", file=out,
                          field="--out") from None


def complete_shard(path: Path, rows: int) -> bool:
    """Whether a shard of a resumed build is whole. Shards are synced only at the end, so
    after a power cut one may be torn: it is removed and rendered again."""
    if not path.exists():
        return False
    try:
        if pq.ParquetFile(path).metadata.num_rows == rows:
            return True
    except Exception:  # pyarrow raises several types for a torn file
        pass
    path.unlink()
    return False


def finalise_folder(staging: Path, final: Path, overwrite: bool) -> None:
    """Swap the finished folder into place: it is complete or absent, never half there.
    Its files reach the disk first, so a power cut cannot leave a torn file in it."""
    (staging / ".plan-sha256").unlink(missing_ok=True)
    for path in staging.rglob("*"):
        if path.is_file():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
    if final.exists() and overwrite:
        old = final.with_name(f".{final.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
        os.replace(staging, final)
        shutil.rmtree(old)
    else:
        os.replace(staging, final)
