"""``aorgen eval``: generate responses for a dataset × model × conditions, resumably.

A run folder ``<out>/<name>/`` holds ``generations.jsonl`` (the append-only cache, one
record per generation) and ``run.json`` (what was run). Running the same command again
only generates what is missing.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from aorgen.cache import atomic_write_bytes, content_key
from aorgen.errors import AorgenError

from .cache import RecordCache
from .conditions import Condition, get_condition
from .dataset import EvalDataset, load_eval_dataset
from .models import ModelAdapter, ModelRequest, get_adapter, resolve_adapter
from .records import Generation, GenerationOptions, SampleMeta

GENERATIONS_FILE = "generations.jsonl"
RUN_FILE = "run.json"


@dataclass
class EvalSummary:
    run_dir: Path
    generated: dict[str, int] = field(default_factory=dict)  # condition -> new generations
    cached: dict[str, int] = field(default_factory=dict)  # condition -> reused from the cache
    errors: dict[str, int] = field(default_factory=dict)  # condition -> generations with an error


def run_name(model: str) -> str:
    """Default run folder name: the model's last path component, filesystem-safe."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", Path(str(model).rstrip("/")).name) or "model"


def generation_key(
    model: str, revision: str | None, condition: str, system: str | None, prompt: str | None,
    sample_id: str, options: GenerationOptions,
) -> str:
    return content_key(model, revision, condition, system, prompt, sample_id, options)


def run_eval(
    dataset: str | Path,
    model: str,
    *,
    conditions: Sequence[str] = ("audio",),
    out: str | Path = "runs",
    name: str | None = None,
    adapter: str | None = None,
    revision: str | None = None,
    dtype: str = "auto",
    device_map: str | None = None,
    trust_remote_code: bool = False,
    adapter_options: dict[str, Any] | None = None,
    batch_size: int = 8,
    generation: GenerationOptions | None = None,
    system: str | None = None,
    split: str = "test",
    labels: Sequence[str] | None = None,
    limit: int | None = None,
    dataset_revision: str | None = None,
    force: bool = False,
    retry_errors: bool = True,
    progress: bool = True,
    model_adapter: ModelAdapter | None = None,
) -> EvalSummary:
    """Generate responses of ``model`` on ``dataset`` under each condition into
    ``<out>/<name>/generations.jsonl``. Wrapped by ``aorgen eval``.

    Cached generations (same model, revision, condition, prompt, sample and generation
    options) are reused unless ``force``; cached errors are retried if ``retry_errors``.
    The model is loaded only if something is left to generate. ``adapter_options`` go to
    the adapter (e.g. ``base_url`` for ``openai``); ``model_adapter`` supplies an adapter
    that is already loaded.
    """
    conds = [get_condition(c) for c in conditions]
    if batch_size < 1:
        raise AorgenError("must be at least 1", item=str(batch_size), field="batch_size")
    options = generation or GenerationOptions()
    ds = load_eval_dataset(dataset, split=split, labels=labels, limit=limit, revision=dataset_revision)
    for cond in conds:
        if cond.audio_column and not ds.has_column(cond.audio_column):
            raise AorgenError(
                f"condition '{cond.name}' needs the '{cond.audio_column}' column (the dry speech "
                "stem), which this dataset lacks; build the dataset with stems",
                file=str(dataset),
                field=cond.audio_column,
            )
    adapter_name = model_adapter.name if model_adapter else resolve_adapter(model, adapter, revision=revision)
    run_dir = Path(out) / (name or run_name(model))
    cache: RecordCache[Generation] = RecordCache(run_dir / GENERATIONS_FILE, Generation)
    summary = EvalSummary(run_dir)

    def load() -> ModelAdapter:
        return model_adapter or get_adapter(
            adapter_name, model, revision=revision, dtype=dtype, device_map=device_map,
            trust_remote_code=trust_remote_code, **(adapter_options or {}),
        )

    loaded: list[ModelAdapter] = []
    for cond in conds:
        todo = []
        for sample in ds.samples:
            key = generation_key(model, revision, cond.name, system, cond.text(sample), sample.id, options)
            old = cache.get(key)
            if old is not None and not force and not (retry_errors and old.error):
                summary.cached[cond.name] = summary.cached.get(cond.name, 0) + 1
            else:
                todo.append((key, sample))
        if todo and not loaded:
            loaded.append(load())
        bar = progress_bar(progress, len(todo), f"{run_dir.name} · {cond.name}")
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            records = _generate_batch(loaded[0] if loaded else None, ds, cond, batch, model, revision,
                                      adapter_name, system, options)
            cache.append(records)
            summary.generated[cond.name] = summary.generated.get(cond.name, 0) + len(records)
            summary.errors[cond.name] = summary.errors.get(cond.name, 0) + sum(r.error is not None for r in records)
            bar(len(records))
    _write_run_file(run_dir, model=model, adapter=adapter_name, revision=revision, dtype=dtype,
                    options=options, dataset=str(dataset), split=split, conditions=[c.name for c in conds],
                    system=system, dataset_revision=dataset_revision)
    return summary


def _generate_batch(
    adapter: ModelAdapter, ds: EvalDataset, cond: Condition, batch: list[tuple[str, SampleMeta]],
    model: str, revision: str | None, adapter_name: str, system: str | None, options: GenerationOptions,
) -> list[Generation]:
    ids = [sample.id for _, sample in batch]
    audio = ds.audio(ids, cond.audio_column, adapter.sampling_rate) if cond.audio_column else [None] * len(ids)
    requests = [ModelRequest(audio=a, text=cond.text(s), system=system) for a, (_, s) in zip(audio, batch)]
    start = time.perf_counter()
    outputs = adapter.generate(requests, options)
    elapsed = time.perf_counter() - start
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return [
        Generation(
            **sample.model_dump(), key=key, model=model, revision=revision, adapter=adapter_name,
            condition=cond.name, system=system, prompt=req.text, rendered_prompt=out.prompt,
            options=options, response=out.response, error=out.error, timing_s=round(elapsed, 4),
            batch_size=len(batch), created=now,
        )
        for (key, sample), req, out in zip(batch, requests, outputs, strict=True)
    ]


def _write_run_file(run_dir: Path, *, conditions: list[str], **info: Any) -> None:
    path = run_dir / RUN_FILE
    try:
        old = json.loads(path.read_text()) if path.exists() else {}
        if not isinstance(old, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        raise AorgenError(f"unusable run record: {exc}", file=path) from None
    merged = list(dict.fromkeys([*old.get("conditions", []), *conditions]))
    info["options"] = info["options"].model_dump()
    data = {**old, **info, "conditions": merged}
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())


def progress_bar(enabled: bool, total: int, desc: str) -> Callable[[int], None]:
    """A tqdm bar as an ``update(n)`` callable (a no-op when disabled)."""
    if not enabled or total == 0:
        return lambda n: None
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc=desc, unit="gen")

    def update(n: int) -> None:
        bar.update(n)
        if bar.n >= total:
            bar.close()

    return update
