"""Content-addressed cache of audio arrays (speech, room impulse responses, resampled clips).

Entries are written atomically and carry a checksum, so a torn or corrupted file is
detected, dropped and recomputed. Safe to share between worker processes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_DIGEST_BYTES = 32


def content_key(*parts: object) -> str:
    """A stable hash of JSON-serialisable parts (pydantic models, also in lists, via model_dump)."""
    def plain(p):
        if hasattr(p, "model_dump"):
            return p.model_dump(mode="json")
        return [plain(x) for x in p] if isinstance(p, (list, tuple)) else p

    blob = json.dumps([plain(p) for p in parts], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def default_cache_dir() -> Path:
    env = os.environ.get("AORGEN_CACHE")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "aorgen"


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one.
    ``durable=False`` skips the fsync, for files whose checksum detects a torn write."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk must not also keep the partial file
        raise


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    corrupt: int = 0


Arrays = np.ndarray | tuple[np.ndarray, ...]


class ArrayCache:
    """Arrays stored under ``root/<kind>/<key[:2]>/<key>.npy`` with a checksum trailer; an
    entry is one array (``.npy`` bytes) or a tuple of arrays (uncompressed ``.npz`` bytes)."""

    def __init__(self, root: Path | None, kind: str) -> None:
        self.root = None if root is None else Path(root) / kind
        self.stats = CacheStats()

    def _path(self, key: str) -> Path:
        assert self.root is not None
        return self.root / key[:2] / f"{key}.npy"

    def get(self, key: str) -> Arrays | None:
        if self.root is None:
            return None
        path = self._path(key)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            return None
        body, digest = blob[:-_DIGEST_BYTES], blob[-_DIGEST_BYTES:]
        if hashlib.sha256(body).digest() != digest:
            self.stats.corrupt += 1
            path.unlink(missing_ok=True)
            return None
        loaded = np.load(io.BytesIO(body), allow_pickle=False)
        if isinstance(loaded, np.lib.npyio.NpzFile):
            return tuple(loaded[f"arr_{i}"] for i in range(len(loaded.files)))
        return loaded

    def put(self, key: str, value: Arrays) -> None:
        if self.root is None:
            return
        buf = io.BytesIO()
        if isinstance(value, tuple):
            np.savez(buf, *(np.ascontiguousarray(a) for a in value))
        else:
            np.save(buf, np.ascontiguousarray(value), allow_pickle=False)
        body = buf.getvalue()
        # no fsync: after a power cut a lost or torn entry fails its checksum and is recomputed
        atomic_write_bytes(self._path(key), body + hashlib.sha256(body).digest(), durable=False)

    def get_or_compute(self, key: str, compute: Callable[[], Arrays]) -> Arrays:
        found = self.get(key)
        if found is not None:
            self.stats.hits += 1
            return found
        self.stats.misses += 1
        value = compute()
        self.put(key, value)
        return value


def cache_info(root: Path) -> dict[str, tuple[int, int]]:
    """Entries and bytes per cache kind."""
    info = {}
    if root.exists():
        for kind in sorted(p for p in root.iterdir() if p.is_dir()):
            files = list(kind.rglob("*.npy"))
            info[kind.name] = (len(files), sum(f.stat().st_size for f in files))
    return info


def cache_clear(root: Path, kind: str | None = None) -> None:
    target = root / kind if kind else root
    if target.exists():
        shutil.rmtree(target)
