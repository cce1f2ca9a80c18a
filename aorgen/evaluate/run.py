"""``aorgen eval``: generate responses for a dataset × model × conditions, resumably.

A run folder ``<out>/<name>/`` holds ``generations.jsonl`` (the append-only cache, one
record per generation) and ``run.json`` (the configuration: model, resolved revision,
dtype, adapter, mitigation hashes, system prompt, generation options, versions). Running
the same command again only generates what is missing. **One run folder is one
configuration**: an eval with another configuration into an existing run folder is
refused (choose another ``--name``). Generations are content-addressed (see
:mod:`.fingerprint`), so a dataset rebuilt with other audio under the same ids is
generated again, never served from the cache.

``shard=(i, n)`` evaluates every n-th sample starting at i into ``<run>/shards/i-of-n/``;
:func:`merge_shards` joins the shards into the run folder.
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

from aorgen.render.cache import atomic_write_bytes, content_key
from aorgen.errors import AorgenError

from .record_files import RecordCache
from .conditions import Condition, get_condition
from .samples import EvalDataset, load_eval_dataset
from .fingerprint import resolve_revision, versions
from .models import ModelAdapter, ModelRequest, get_adapter, resolve_adapter
from .records import Generation, GenerationOptions, SampleMeta

GENERATIONS_FILE = "generations.jsonl"
RUN_FILE = "run.json"
SHARDS_DIR = "shards"
#: run.json fields that make up the configuration (one run folder = one configuration)
CONFIG_FIELDS = ("model", "revision", "resolved_revision", "dtype", "adapter", "mitigation", "system",
                 "options", "versions", "dataset", "split", "dataset_revision", "dataset_config")


@dataclass
class EvalSummary:
    run_dir: Path
    generated: dict[str, int] = field(default_factory=dict)  # condition -> new generations
    cached: dict[str, int] = field(default_factory=dict)  # condition -> reused from the cache
    errors: dict[str, int] = field(default_factory=dict)  # condition -> generations with an error


def run_name(model: str) -> str:
    """Default run folder name: the model's last path component, filesystem-safe."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", Path(str(model).rstrip("/")).name) or "model"


def generation_key(config_hash: str, condition: str, prompt: str | None, sample_id: str,
                   audio_hash: str | None) -> str:
    """Content address of one generation: the run configuration's hash, the condition and
    its prompt, the sample id and the hash of the audio bytes the model receives."""
    return content_key(config_hash, condition, prompt, sample_id, audio_hash)


def config_hash(config: dict[str, Any]) -> str:
    return content_key({k: config.get(k) for k in CONFIG_FIELDS})


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
    dataset_config: str | None = None,
    force: bool = False,
    retry_errors: bool = True,
    progress: bool = True,
    model_adapter: ModelAdapter | None = None,
    mitigation: dict[str, Any] | None = None,
    shard: tuple[int, int] | None = None,
    limit_seed: int = 0,
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
    ds = load_eval_dataset(dataset, split=split, labels=labels, limit=limit, revision=dataset_revision,
                           limit_seed=limit_seed, config=dataset_config)
    for cond in conds:
        if cond.audio_column and not ds.has_column(cond.audio_column):
            raise AorgenError(
                f"condition '{cond.name}' needs the '{cond.audio_column}' column (the dry speech "
                "stem), which this dataset lacks; build the dataset with stems",
                file=str(dataset),
                field=cond.audio_column,
            )
    adapter_name = model_adapter.name if model_adapter else resolve_adapter(model, adapter, revision=revision)
    config = {
        "model": model, "revision": revision, "adapter": adapter_name, "dtype": dtype,
        "resolved_revision": resolve_revision(model, revision, adapter_name, model_adapter),
        "mitigation": mitigation or {}, "system": system, "options": options.model_dump(),
        "versions": versions(), "dataset": str(dataset), "split": split, "dataset_revision": dataset_revision,
    }
    if dataset_config is not None:  # (absent otherwise, so earlier runs keep their configuration hash)
        config["dataset_config"] = dataset_config
    chash = config_hash(config)
    run_dir = Path(out) / (name or run_name(model))
    samples = ds.samples
    if shard is not None:
        index, count = shard
        if not 0 <= index < count:
            raise AorgenError(f"expected i/N with 0 <= i < N, got {index}/{count}", field="--shard")
        run_dir = run_dir / SHARDS_DIR / f"{index}-of-{count}"
        samples = samples[index::count]
    _check_run_file(run_dir, config, chash)
    cache: RecordCache[Generation] = RecordCache(run_dir / GENERATIONS_FILE, Generation)
    # recorded before generating, so that a killed run resumes under the same configuration
    _write_run_file(run_dir, **config, config=config, config_hash=chash, conditions=[c.name for c in conds],
                    limit=limit, limit_seed=limit_seed, shard=list(shard) if shard else None)
    summary = EvalSummary(run_dir)
    audio_hashes = {c: ds.audio_hashes(c) for c in {cond.audio_column for cond in conds if cond.audio_column}}

    def load() -> ModelAdapter:
        return model_adapter or get_adapter(
            adapter_name, model, revision=revision, dtype=dtype, device_map=device_map,
            trust_remote_code=trust_remote_code, **(adapter_options or {}),
        )

    loaded: list[ModelAdapter] = []
    for cond in conds:
        todo = []
        hashes = audio_hashes.get(cond.audio_column, {})
        for sample in samples:
            key = generation_key(chash, cond.name, cond.text(sample), sample.id, hashes.get(sample.id))
            old = cache.get(key)
            if old is not None and not force and not (retry_errors and old.error):
                summary.cached[cond.name] = summary.cached.get(cond.name, 0) + 1
            else:
                todo.append((key, sample, hashes.get(sample.id)))
        if todo and not loaded:
            loaded.append(load())
        bar = progress_bar(progress, len(todo), f"{run_dir.name} · {cond.name}")
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            records = _generate_batch(loaded[0] if loaded else None, ds, cond, batch, model, revision,
                                      adapter_name, system, options, chash)
            cache.append(records)
            summary.generated[cond.name] = summary.generated.get(cond.name, 0) + len(records)
            summary.errors[cond.name] = summary.errors.get(cond.name, 0) + sum(r.error is not None for r in records)
            bar(len(records))
    return summary


def _generate_batch(
    adapter: ModelAdapter, ds: EvalDataset, cond: Condition, batch: list[tuple[str, SampleMeta, str | None]],
    model: str, revision: str | None, adapter_name: str, system: str | None, options: GenerationOptions,
    chash: str,
) -> list[Generation]:
    ids = [sample.id for _, sample, _ in batch]
    audio = ds.audio(ids, cond.audio_column, adapter.sampling_rate) if cond.audio_column else [None] * len(ids)
    requests = [ModelRequest(audio=a, text=cond.text(s), system=system) for a, (_, s, _) in zip(audio, batch)]
    start = time.perf_counter()
    outputs = adapter.generate(requests, options)
    elapsed = time.perf_counter() - start
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return [
        Generation(
            **sample.model_dump(), key=key, model=model, revision=revision, adapter=adapter_name,
            condition=cond.name, system=system, prompt=req.text, rendered_prompt=out.prompt,
            options=options, response=out.response, error=out.error, timing_s=round(elapsed, 4),
            batch_size=len(batch), created=now, config_hash=chash, audio_hash=ahash,
        )
        for (key, sample, ahash), req, out in zip(batch, requests, outputs, strict=True)
    ]


def read_run_file(run_dir: Path) -> dict[str, Any]:
    path = Path(run_dir) / RUN_FILE
    try:
        old = json.loads(path.read_text()) if path.exists() else {}
        if not isinstance(old, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        raise AorgenError(f"unusable run record: {exc}", file=path) from None
    return old


def _check_run_file(run_dir: Path, config: dict[str, Any], chash: str) -> None:
    """Refuse to add generations of another configuration to an existing run folder."""
    old = read_run_file(run_dir)
    if not old and not (run_dir / GENERATIONS_FILE).exists():
        return
    if old.get("config_hash") == chash:
        return
    if "config_hash" not in old:
        raise AorgenError("this run folder was written without a configuration record (an older aorgen): "
                          "evaluate into another --name", file=run_dir / RUN_FILE, field="config")
    before = old.get("config", {})
    changed = [k for k in CONFIG_FIELDS if before.get(k) != config.get(k)] or ["configuration hash"]
    raise AorgenError(
        f"this run folder holds another configuration (differs in: {', '.join(changed)}); "
        "one run folder is one configuration: choose another --name",
        file=run_dir / RUN_FILE, field="config",
    )


def _write_run_file(run_dir: Path, *, conditions: list[str], **info: Any) -> None:
    path = run_dir / RUN_FILE
    old = read_run_file(run_dir)
    merged = list(dict.fromkeys([*old.get("conditions", []), *conditions]))
    data = {**old, **info, "conditions": merged, "aorgen_run_schema": 2}
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


def merge_shards(run_dir: str | Path) -> int:
    """Join ``<run>/shards/*/`` (from ``aorgen eval --shard i/N``) into ``<run>``: every
    shard must hold the same configuration (and the run folder, if it has one); returns the
    number of generations added. Wrapped by ``aorgen eval-merge``."""
    run_dir = Path(run_dir)
    shards = sorted(p for p in (run_dir / SHARDS_DIR).glob("*") if (p / RUN_FILE).is_file())
    if not shards:
        raise AorgenError(f"no shards (folders with {RUN_FILE}) under {SHARDS_DIR}/", file=run_dir)
    infos = [read_run_file(p) for p in shards]
    for path, info in zip(shards, infos):
        if info.get("config_hash") != infos[0].get("config_hash"):
            raise AorgenError(f"shard holds another configuration than {shards[0].name}", file=path / RUN_FILE,
                              field="config")
    counts = {tuple(i.get("shard") or ()) for i in infos}
    total = {c[1] for c in counts if len(c) == 2}
    if len(total) == 1 and len(counts) != next(iter(total)):
        raise AorgenError(f"{len(counts)} of {next(iter(total))} shards present", file=run_dir / SHARDS_DIR)
    _check_run_file(run_dir, infos[0]["config"], infos[0]["config_hash"])
    cache: RecordCache[Generation] = RecordCache(run_dir / GENERATIONS_FILE, Generation)
    new = [g for p in shards for g in RecordCache(p / GENERATIONS_FILE, Generation).records.values()
           if g.key not in cache]
    cache.append(sorted(new, key=lambda g: (g.condition, g.id)))
    info = {k: v for k, v in infos[0].items() if k not in ("conditions", "shard")}
    _write_run_file(run_dir, conditions=sorted({c for i in infos for c in i.get("conditions", [])}),
                    **{**info, "shard": None, "merged_shards": [p.name for p in shards]})
    return len(new)
