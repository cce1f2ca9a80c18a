"""Reading an aorgen dataset (a local folder or a Hub id) for evaluation, without
torchcodec: audio columns are read as encoded bytes and decoded with soundfile."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from aorgen.errors import AorgenError

from .records import SampleMeta

AUDIO_COLUMNS = ("audio", "speech")
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
) -> EvalDataset:
    """Load ``split`` of a dataset folder or Hub id, optionally only some labels and the
    first ``limit`` rows per label. Wrapped by ``aorgen eval --dataset``."""
    import datasets
    import pyarrow as pa

    name = str(dataset)
    quiet = not datasets.utils.are_progress_bars_disabled()
    if quiet:  # "Generating split" bars would bury an error line
        datasets.utils.disable_progress_bars()
    try:
        if Path(name).is_dir():
            ds = _load_local(Path(name), split)
        else:
            ds = datasets.load_dataset(name, split=split, revision=revision)
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
        keep, seen = [], {}
        for i, label in enumerate(ds["label"]):
            if labels is not None and label not in labels:
                continue
            seen[label] = seen.get(label, 0) + 1
            if limit is None or seen[label] <= limit:
                keep.append(i)
        ds = ds.select(keep)
    return EvalDataset(ds, name)


def _load_local(folder: Path, split: str):
    """A dataset folder's parquet shards for ``split``, loaded by explicit file list.

    (``load_dataset(folder)`` on a folder whose card declares ``configs`` caches by folder
    name and pattern, not content, so another folder of the same name could come back.)
    """
    import datasets

    files = sorted(folder.glob(f"data/*/{split}-*.parquet")) or sorted(folder.glob(f"data/{split}-*.parquet"))
    if not files:
        if not any(folder.rglob("*.parquet")):
            raise FileNotFoundError(f"no parquet shards under {folder}/data (not an aorgen dataset?)")
        return datasets.load_dataset(str(folder), split=split)
    return datasets.load_dataset("parquet", data_files={split: [str(f) for f in files]}, split=split)
