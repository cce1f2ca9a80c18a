"""The dataset folder: parquet shards with an ``Audio`` column that ``datasets`` reads.

Audio columns are written as ``{bytes, path}`` structs with the ``Audio`` feature in the
schema metadata, and read back with ``Audio(decode=False)`` + soundfile (no torchcodec).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import ValidationError

from aorgen.errors import AorgenError
from aorgen.plan.spec import SampleSpec
from aorgen.render.cache import atomic_write_bytes

if TYPE_CHECKING:  # the schema stays light: the evaluator imports it without the renderer
    from aorgen.render.intelligibility import ClipCheck
    from aorgen.render.mix import Rendered

AUDIO_COLUMNS = ("audio", "speech", "background")  # the mixture and its two stems (with ``stems: true``)


def features(sample_rate: int, stems: bool):
    from datasets import Audio, Features, List, Value

    string, f32 = Value("string"), Value("float32")
    columns = {"id": string, "audio": Audio(sampling_rate=sample_rate)}
    if stems:
        columns |= {"speech": Audio(sampling_rate=sample_rate), "background": Audio(sampling_rate=sample_rate)}
    columns |= {
        "category": string, "label": string, "script_id": string, "transcript": string,
        "scene_tags": List(string), "context": string, "rationale": string, "style": string,
        "harm_type": string, "intended_context": string, "speech_cues": List(string),
        "voice_engine": string, "voice_id": string, "voice_gender": string, "voice_accent": string,
        "speech_rate": f32, "snr_db": f32, "rt60_s": f32, "rt60_measured_s": f32,
        "background_ids": List(string), "licenses": List(string), "duration_s": f32,
        "achieved_snr_db": f32, "peak_dbfs": f32, "loudness_lufs": f32, "limiter_gain_db": f32,
        "qc_passed": Value("bool"), "asr_transcript": string, "asr_wer": f32,
        "asr_mixture_transcript": string, "asr_mixture_wer": f32, "spec": string,
        "pair_condition": string, "pair_of": string,
    }
    return Features(columns)


def to_row(r: Rendered, check: ClipCheck | None = None, mixture_check: ClipCheck | None = None) -> dict:
    """The row of a rendered clip; ``check`` (dry speech) and ``mixture_check`` are what the
    intelligibility gate heard, if it ran (the mixture only where its SNR can mask)."""
    spec = r.spec
    ext = spec.audio_format

    def audio(blob: bytes | None, stem: str) -> dict:
        return {"bytes": blob, "path": f"{spec.id}{stem}.{ext}"}

    row = {"id": spec.id, "audio": audio(r.audio, "")}
    if spec.stems:
        row |= {"speech": audio(r.speech, ".speech"), "background": audio(r.background, ".background")}
    sources = spec.sources
    return row | {
        "category": spec.category, "label": spec.label, "script_id": spec.script_id,
        "transcript": spec.transcript, "scene_tags": list(spec.scene_tags), "context": spec.context,
        "rationale": spec.rationale, "style": spec.style, "harm_type": spec.harm_type,
        "intended_context": spec.intended_context, "speech_cues": [c.text for c in spec.cues],
        "voice_engine": spec.speech.engine, "voice_id": spec.speech.voice_id,
        "voice_gender": spec.speech.gender, "voice_accent": spec.speech.accent,
        "speech_rate": spec.speech.prosody.rate, "snr_db": spec.mix.snr_db if spec.background else None,
        "rt60_s": spec.room.rt60_s if spec.room else None,
        "rt60_measured_s": r.qc.rt60_measured_s,
        "background_ids": [f"{s.bank}/{s.clip_id}" for s in sources],
        "licenses": sorted({s.license for s in sources}),
        "duration_s": r.duration_s, "achieved_snr_db": r.qc.achieved_snr_db,
        "peak_dbfs": r.qc.peak_dbfs, "loudness_lufs": r.qc.loudness_lufs,
        "limiter_gain_db": r.qc.limiter_gain_db,
        "qc_passed": r.qc.passed and not (check and check.flagged) and not (mixture_check and mixture_check.flagged),
        "asr_transcript": check.transcript if check else None,
        "asr_wer": check.wer if check else None,
        "asr_mixture_transcript": mixture_check.transcript if mixture_check else None,
        "asr_mixture_wer": mixture_check.wer if mixture_check else None,
        "spec": spec.model_dump_json(),
        "pair_condition": spec.pair_condition, "pair_of": spec.pair_of,
    }


def rows_table(rows: list[dict], spec: SampleSpec) -> pa.Table:
    """Rows rendered like ``spec`` as an Arrow table with the dataset's schema."""
    return pa.Table.from_pylist(rows, schema=features(spec.sample_rate, spec.stems).arrow_schema)


def write_shard(table: pa.Table, path: Path, spec: SampleSpec) -> None:
    """One parquet shard of rows rendered like ``spec``, written atomically (complete or absent).
    FLAC audio is stored as is (zstd cannot shrink it); every other column is zstd-compressed."""
    audio = {f"{c}.bytes" for c in AUDIO_COLUMNS} if spec.audio_format == "flac" else set()
    compression = {c: "none" if c in audio else "zstd" for c in _leaf_columns(table.schema)}
    buf = io.BytesIO()
    pq.write_table(table, buf, compression=compression)
    try:
        atomic_write_bytes(path, buf.getvalue(), durable=False)  # synced once, before the folder is swapped in
    except OSError as exc:
        raise AorgenError(f"cannot write: {exc.strerror or exc}", file=path) from None


def _leaf_columns(schema: pa.Schema):
    """Parquet column paths: struct fields as ``a.b``, list items as ``a.list.element``."""
    for f in schema:
        if pa.types.is_struct(f.type):
            yield from (f"{f.name}.{child.name}" for child in f.type)
        elif pa.types.is_list(f.type):
            yield f"{f.name}.list.element"
        else:
            yield f.name


@dataclass(frozen=True)
class Row:
    """A dataset row as aorgen reads it back (audio as encoded bytes)."""

    data: dict

    @property
    def spec(self) -> SampleSpec:
        try:
            return SampleSpec.model_validate_json(self.data.get("spec") or "")
        except ValidationError as exc:
            raise AorgenError(f"stored spec is not valid: {exc.errors()[0]['msg']}", item=self.data.get("id"),
                              field="spec") from None

    def audio_bytes(self, column: str = "audio") -> bytes:
        value = self.data.get(column)
        if not value or value.get("bytes") is None:
            raise AorgenError(f"row has no '{column}' audio", item=self.data.get("id"), field=column)
        return value["bytes"]


def shard_files(folder: Path) -> list[Path]:
    files = sorted((folder / "data").rglob("*.parquet"))
    if not files:
        raise AorgenError("no parquet shards under data/ (not an aorgen dataset?)", file=folder)
    return files


@contextmanager
def reading_shard(file: Path):
    """A shard that is not a readable aorgen parquet file is one line naming it."""
    try:
        yield
    except (OSError, pa.ArrowException) as exc:
        text = " ".join(str(exc).split())[:300]
        raise AorgenError(f"not a readable dataset shard: {text}", file=file) from None


def iter_rows(folder: Path, columns: list[str] | None = None) -> Iterator[Row]:
    """Rows of a local dataset folder, shard by shard (bounded memory)."""
    for file in shard_files(Path(folder)):
        with reading_shard(file):
            parquet = pq.ParquetFile(file)
            missing = sorted(set(columns or ()) - set(parquet.schema_arrow.names))
            if missing:
                raise AorgenError(f"shard lacks columns: {', '.join(missing)} (not an aorgen dataset?)", file=file)
            batches = parquet.iter_batches(batch_size=64, columns=columns)
        while True:
            with reading_shard(file):
                batch = next(batches, None)
            if batch is None:
                break
            for data in batch.to_pylist():
                yield Row(data)


def find_row(folder: Path, row_id: str) -> Row:
    for file in shard_files(Path(folder)):
        with reading_shard(file):
            table = pq.read_table(file, filters=[("id", "=", row_id)])
        if table.num_rows:
            return Row(table.to_pylist()[0])
    raise AorgenError(f"no row with id '{row_id}'", file=folder, field="id")


def load_hf(path_or_repo: str, split: str | None = None):
    """The dataset through ``datasets.load_dataset`` with audio columns left undecoded."""
    import datasets

    local = Path(path_or_repo)
    if local.is_dir():  # name the files: load_dataset(folder) caches by folder name, not content
        files: dict[str, list[str]] = {}
        for file in shard_files(local):
            files.setdefault(file.name.split("-")[0], []).append(str(file))
        ds = datasets.load_dataset("parquet", data_files=files, split=split)
    else:
        ds = datasets.load_dataset(path_or_repo, split=split)
    if isinstance(ds, datasets.DatasetDict):
        return datasets.DatasetDict({name: _undecoded(part) for name, part in ds.items()})
    return _undecoded(ds)


def _undecoded(part):
    import datasets

    for column in AUDIO_COLUMNS:
        if column in part.column_names:
            part = part.cast_column(column, datasets.Audio(decode=False))
    return part
