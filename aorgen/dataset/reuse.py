"""Incremental rebuilds: rows of the dataset being replaced whose spec is unchanged are copied
instead of rendered again.

A row is a pure function of its spec, the render code and the speech engines' versions
(DESIGN invariant 1). The spec pins everything else, sound-bank files included, by hash.
So a row is reused only when its spec JSON is identical and the previous build recorded
the same render fingerprint: the copy then has the bytes a fresh render would give.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from aorgen.content.recipe import IntelligibilityConfig
from aorgen.render.mix import RENDER_REVISION
from aorgen.plan.spec import SampleSpec
from aorgen.tts import get_engine

Location = tuple[str, int]  # (shard path relative to the dataset folder, row index)


def fingerprint(specs: list[SampleSpec], intelligibility: IntelligibilityConfig | None) -> dict:
    """What a row depends on besides its spec: render code, engine versions, the ASR check."""
    return {
        "render_revision": RENDER_REVISION,
        "engines": {name: get_engine(name).version for name in sorted({s.speech.engine for s in specs})},
        "intelligibility": intelligibility.model_dump(mode="json") if intelligibility else None,
    }


def spec_digest(spec_json: str) -> str:
    return hashlib.sha256(spec_json.encode()).hexdigest()


def previous_rows(folder: Path, expected: dict) -> dict[str, Location]:
    """Where each row of the dataset at ``folder`` is, by spec digest; empty when there is no
    finished dataset there or it was rendered under a different fingerprint."""
    record = folder / "build.json"
    try:
        if json.loads(record.read_text()).get("render") != expected:
            return {}
    except (OSError, ValueError, AttributeError):
        return {}
    found = {}
    for shard in sorted(folder.glob("data/*/*.parquet")):
        relative = shard.relative_to(folder).as_posix()
        try:
            specs = pq.read_table(shard, columns=["spec"]).column("spec").to_pylist()
        except (OSError, pa.ArrowException):  # a damaged shard of the old dataset: render its rows again
            continue
        for index, spec_json in enumerate(specs):
            found[spec_digest(spec_json)] = (relative, index)
    return found


def copy_rows(folder: Path, locations: dict[str, Location], schema: pa.Schema) -> pa.Table:
    """The rows at ``locations`` (keyed by row id) as one table, reading each shard once."""
    by_shard: dict[str, list[int]] = defaultdict(list)
    for shard, index in locations.values():
        by_shard[shard].append(index)
    parts = [_with_columns(pq.read_table(folder / shard).take(indices), schema) for shard, indices in by_shard.items()]
    return pa.concat_tables([p.select(schema.names).cast(schema) for p in parts]) if parts else schema.empty_table()


def _with_columns(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Columns added to the schema since the old shard was written, as nulls: they hold spec
    fields that were unset in it (a reused row's spec is unchanged, so they are unset still)."""
    for f in schema:
        if f.name not in table.column_names:
            table = table.append_column(f, pa.nulls(table.num_rows, f.type))
    return table


def link_whole_shard(folder: Path, shard: str, locations: dict[str, Location], target: Path,
                     columns: list[str]) -> bool:
    """When the new shard is exactly the old shard of the same name (every row reused, in
    order, and every one of ``columns`` there), hard-link the file instead of copying its rows;
    returns whether it did."""
    if sorted(locations.values()) != [(shard, i) for i in range(len(locations))]:
        return False
    old = pq.ParquetFile(folder / shard)
    if old.metadata.num_rows != len(locations) or not set(columns) <= set(old.schema_arrow.names):
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(folder / shard, target)
    except OSError:  # no hard links on this file system
        return False
    return True
