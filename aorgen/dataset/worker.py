"""The shard worker: renders one shard's clips and writes its parquet file (the unit of work
and of resume). Runs in executor processes, which keep one render context (banks, caches) per
(banks, cache folder) for all the shards they render."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from aorgen.content.recipe import IntelligibilityConfig
from aorgen.dataset.reuse import Location, copy_rows, link_whole_shard
from aorgen.dataset.schema import rows_table, to_row, write_shard
from aorgen.plan.minimal_pairs import NEW_SCENE_PAIRS
from aorgen.plan.spec import RoomSpec, SampleSpec
from aorgen.render.cache import ArrayCache
from aorgen.render.mix import RenderContext, render
from aorgen.render.room import impulse_response


@dataclass
class ShardTask:
    path: str  # relative to the dataset folder, e.g. data/pseudo_harmful/test-00000-of-00003.parquet
    specs: list[SampleSpec]
    bank_paths: list[str]
    cache_dir: str | None
    staging: str
    intelligibility: IntelligibilityConfig | None = None
    previous: str | None = None  # the dataset being replaced, whose rows ``reuse`` points into
    reuse: dict[str, Location] = field(default_factory=dict)  # row id -> where its row is


@dataclass
class ShardResult:
    path: str
    clips: int
    audio_s: float
    qc_failed: int
    timings: dict[str, float]
    reused: int = 0


_WORKER_CONTEXTS: dict[tuple, RenderContext] = {}


def _context(bank_paths: list[str], cache_dir: str | None) -> RenderContext:
    key = (tuple(bank_paths), cache_dir)
    if key not in _WORKER_CONTEXTS:
        _WORKER_CONTEXTS[key] = RenderContext.from_bank_paths(
            [Path(p) for p in bank_paths], Path(cache_dir) if cache_dir else None)
    return _WORKER_CONTEXTS[key]


def render_shard(task: ShardTask) -> ShardResult:
    """Render one shard's clips and write its parquet file (the unit of work and of resume)."""
    ctx = _context(task.bank_paths, task.cache_dir)
    ctx.timings.clear()
    spec, target = task.specs[0], Path(task.staging) / task.path
    schema = rows_table([], spec).schema
    with ctx.stage("reuse"):
        linked = len(task.reuse) == len(task.specs) and \
            link_whole_shard(Path(task.previous), task.path, task.reuse, target, schema.names)
        if not linked:
            copied = copy_rows(Path(task.previous), task.reuse, schema) if task.reuse else schema.empty_table()
    if linked:
        return _result(task, pq.read_table(target, columns=["duration_s", "qc_passed"]), len(task.specs), ctx)
    to_render = [s for s in task.specs if s.id not in task.reuse]
    rendered = [render(s, ctx) for s in to_render]
    heard = [s for s in to_render if s.pair_condition in (None, *NEW_SCENE_PAIRS)]  # the mixtures the gate heard
    checks = _intelligibility(task, ctx, heard) if task.intelligibility and heard else {}
    fresh = rows_table([to_row(r, *_checks(checks.get(r.spec.id))) for r in rendered], spec)
    with ctx.stage("write"):
        table = pa.concat_tables([copied, fresh])
        position = {row_id: i for i, row_id in enumerate(table.column("id").to_pylist())}
        table = table.take([position[s.id] for s in task.specs])  # rows in spec (id) order
        write_shard(table, target, spec)
    return _result(task, table, copied.num_rows, ctx)


def _result(task: ShardTask, table: pa.Table, reused: int, ctx: RenderContext) -> ShardResult:
    return ShardResult(task.path, table.num_rows, sum(table.column("duration_s").to_pylist()),
                       table.num_rows - sum(table.column("qc_passed").to_pylist()), dict(ctx.timings), reused)


def _intelligibility(task: ShardTask, ctx: RenderContext, specs: list[SampleSpec]) -> dict:
    """What the gate heard of each clip (ASR cache hits after the gate ran), for its columns."""
    from aorgen.plan.gate import hear

    return hear(specs, task.intelligibility, ctx)


def _checks(heard) -> tuple:
    return (heard.speech, heard.mixture) if heard is not None else (None, None)


def _room_task(args: tuple[RoomSpec, int, str | None]) -> int:
    room, sample_rate, cache_dir = args
    impulse_response(room, sample_rate, ArrayCache(Path(cache_dir) if cache_dir else None, "rir"))
    return room.pool_index
