"""Reading an aorgen dataset (a local folder or a Hub id) for evaluation, without
torchcodec: audio columns are read as encoded bytes and decoded with soundfile."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from aorgen.dataset.schema import AUDIO_COLUMNS
from aorgen.errors import AorgenError

from .records import SampleMeta

_META_FIELDS = tuple(SampleMeta.model_fields)


def decode_audio(blob: bytes, sampling_rate: int) -> np.ndarray:
    """Encoded audio (WAV/FLAC bytes) → mono float32 at ``sampling_rate``."""
    import soundfile as sf

    data, sr = sf.read(io.BytesIO(blob), dtype="float32", always_2d=True)
    mono = data.mean(axis=1)
    if sr != sampling_rate:
        import soxr

        mono = soxr.resample(mono, sr, sampling_rate)
    return np.ascontiguousarray(mono, dtype=np.float32)


class EvalDataset:
    """Sample metadata in memory; audio read from the dataset on demand."""

    def __init__(self, ds, name: str) -> None:
        from datasets import Audio

        self.name = name
        missing = {"id", "label", "category", "transcript", "audio"} - set(ds.column_names)
        if missing:
            raise AorgenError(f"dataset lacks columns: {', '.join(sorted(missing))}", file=name)
        for column in AUDIO_COLUMNS:
            if column in ds.column_names:
                ds = ds.cast_column(column, Audio(decode=False))
        self._ds = ds
        meta_cols = [c for c in _META_FIELDS if c in ds.column_names]
        self.samples = [SampleMeta(**row) for row in ds.select_columns(meta_cols).to_list()]
        self._index = {s.id: i for i, s in enumerate(self.samples)}
        if len(self._index) != len(self.samples):
            raise AorgenError("sample ids are not unique", file=name, field="id")

    def has_column(self, column: str) -> bool:
        return column in self._ds.column_names

    def audio_hashes(self, column: str) -> dict[str, str | None]:
        """sha256 of each row's encoded ``column`` audio bytes (what the model receives), by id."""
        from .fingerprint import audio_hash

        out: dict[str, str | None] = {}
        ids = iter(s.id for s in self.samples)
        for batch in self._ds.select_columns([column]).iter(batch_size=256):
            for cell in batch[column]:
                out[next(ids)] = audio_hash(cell.get("bytes") if cell else None)
        return out

    def audio(self, sample_ids: Sequence[str], column: str, sampling_rate: int) -> list[np.ndarray]:
        """Decoded audio of ``column`` for these samples, in order."""
        if not self.has_column(column):
            raise AorgenError(f"dataset has no '{column}' column", file=self.name, field=column)
        rows = self._ds.select([self._index[i] for i in sample_ids])[column]
        out = []
        for sid, cell in zip(sample_ids, rows, strict=True):
            if cell is None or not cell.get("bytes"):
                raise AorgenError(f"no '{column}' audio", file=self.name, item=sid, field=column)
            out.append(decode_audio(cell["bytes"], sampling_rate))
        return out


def load_eval_dataset(
    dataset: str | Path,
    *,
    split: str = "test",
    labels: Sequence[str] | None = None,
    limit: int | None = None,
    revision: str | None = None,
    limit_seed: int = 0,
    config: str | None = None,
) -> EvalDataset:
    """Load ``split`` of a dataset folder or Hub id, optionally only some labels and at
    most ``limit`` rows per label: a stratified random sample (categories taken in turn,
    rows within a category shuffled with ``limit_seed``). Wrapped by ``aorgen eval --dataset``.
    ``config`` picks one config (e.g. ``minimal_pairs``); without it, every label but not the
    minimal pairs."""
    import datasets
    import pyarrow as pa

    name = str(dataset)
    quiet = not datasets.utils.are_progress_bars_disabled()
    if quiet:  # "Generating split" bars would bury an error line
        datasets.utils.disable_progress_bars()
    try:
        if Path(name).is_dir():
            ds = _load_local(Path(name), split, config)
        else:
            ds = datasets.load_dataset(name, config, split=split, revision=revision)
    except (OSError, ValueError, datasets.exceptions.DatasetNotFoundError,
            datasets.exceptions.DatasetGenerationError, pa.ArrowException) as exc:
        cause = exc.__cause__ if isinstance(exc, datasets.exceptions.DatasetGenerationError) and exc.__cause__ else exc
        raise AorgenError(f"cannot load split '{split}': {' '.join(str(cause).split())[:300]}", file=name) from exc
    finally:
        if quiet:
            datasets.utils.enable_progress_bars()
    if "label" not in ds.column_names:
        raise AorgenError("dataset lacks columns: label", file=name)
    if labels is not None or limit is not None:
        categories = ds["category"] if "category" in ds.column_names else [""] * len(ds)
        keep = stratified_sample(ds["label"], categories, limit=limit, labels=labels, seed=limit_seed)
        ds = ds.select(keep)
    return EvalDataset(ds, name)


def stratified_sample(
    row_labels: Sequence[str], categories: Sequence[str], *, limit: int | None,
    labels: Sequence[str] | None = None, seed: int = 0,
) -> list[int]:
    """Row indices: per label (only ``labels`` if given), at most ``limit`` rows drawn
    stratified by category (round robin over the categories in a seeded random order, the
    rows of each shuffled with the same RNG), returned in dataset order."""
    rng = np.random.default_rng(seed)
    strata: dict[str, dict[str, list[int]]] = {}
    for i, (label, category) in enumerate(zip(row_labels, categories, strict=True)):
        if labels is None or label in labels:
            strata.setdefault(label, {}).setdefault(category, []).append(i)
    keep: list[int] = []
    for label in sorted(strata):
        cats = sorted(strata[label])
        pools = [list(rng.permutation(strata[label][cats[k]])) for k in rng.permutation(len(cats))]
        quota = sum(map(len, pools)) if limit is None else limit
        picked: list[int] = []
        while len(picked) < quota and any(pools):
            for pool in pools:
                if pool and len(picked) < quota:
                    picked.append(int(pool.pop(0)))
        keep += picked
    return sorted(keep)


def _load_local(folder: Path, split: str, config: str | None = None):
    """A dataset folder's parquet shards for ``split``, loaded by explicit file list.

    (``load_dataset(folder)`` on a folder whose card declares ``configs`` caches by folder
    name and pattern, not content, so another folder of the same name could come back.)
    """
    import datasets

    files = sorted(f for f in folder.glob(f"data/{config or '*'}/{split}-*.parquet")
                   if config or f.parent.name != "minimal_pairs") or sorted(folder.glob(f"data/{split}-*.parquet"))
    if not files:
        if not any(folder.rglob("*.parquet")):
            raise FileNotFoundError(f"no parquet shards under {folder}/data (not an aorgen dataset?)")
        return datasets.load_dataset(str(folder), split=split)
    return datasets.load_dataset("parquet", data_files={split: [str(f) for f in files]}, split=split)
