"""LoRA fine-tuning against over-refusal: ``rrs`` (representation reshaping, see
``aorgen.mitigate.rrs``) or ``sft`` (supervised, loss on the assistant tokens of the
target responses in ``aorgen.mitigate.targets``).

LoRA goes on the language model's attention and MLP projections only (never the audio
encoder or projector). One *step* is one optimizer update over ``grad_accum``
micro-batches of ``batch_size`` examples; epoch ``e`` visits the examples in the order
of a permutation seeded by ``(seed, e)``, so the data seen at any step is a pure
function of the seed and the step.

``out_dir`` layout::

    checkpoints/step-000050/   adapter, optimizer.pt, scheduler.pt, rng.json, state.json
    rrs_anchors.safetensors    (rrs) refusal features and centroids of the untuned model
    adapter/                   the final LoRA adapter (written last, atomically)
    finetune.json              run settings, step count and loss history
    train_log.jsonl            one line per step

Checkpoints are written atomically every ``save_every`` steps; with ``resume=True`` a run
restarts from the last one (adapter, optimizer, scheduler, RNG state and step) and ends
with the same weights as an uninterrupted run.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from aorgen.render.cache import atomic_write_bytes
from aorgen.errors import AorgenError, require
from aorgen.mitigate.model import load_model_and_processor
from aorgen.mitigate.rrs import HARMFUL, RRSAnchors, RRSConfig, compute_anchors, rrs_loss
from aorgen.mitigate.training import DEFAULT_INSTRUCTION, ChatCollator, TrainExample, load_examples, move_batch

torch = require("torch", extra="train")  # peft: required where LoRA is made or loaded

METHODS = ("rrs", "sft")
#: LoRA targets: the language model's decoder projections (peft full-match regex).
LORA_TARGETS = (
    r".*language_model\.layers\.\d+\."
    r"(self_attn\.(q_proj|k_proj|v_proj|o_proj)|mlp\.(gate_proj|up_proj|down_proj))"
)
_ANCHORS = "rrs_anchors.safetensors"


@dataclass
class FinetuneSettings:
    """Everything that determines the trained weights (stored with every checkpoint)."""

    method: str
    model: str
    dataset: str
    steps: int
    lr: float
    batch_size: int
    grad_accum: int
    lora_r: int
    lora_alpha: int
    lora_dropout: float
    seed: int
    warmup_ratio: float
    max_grad_norm: float
    instruction: str
    system: str | None
    rrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class FinetuneResult:
    out_dir: Path
    adapter_dir: Path
    method: str
    steps: int
    resumed_from: int | None  # step of the checkpoint this call started from
    history: list[dict]  # one record per step: step, loss, lr (+ rrs components)
    model: Any = field(default=None, repr=False)  # the trained PeftModel, in memory


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _rng_state() -> dict:
    """Every RNG's state as plain JSON (a checkpoint is resumed without unpickling anything)."""
    version, internal, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    state = {"python": [version, list(internal), gauss],
             "numpy": [name, keys.tolist(), int(pos), int(has_gauss), float(cached)],
             "torch": torch.get_rng_state().tolist()}
    if torch.cuda.is_available():
        state["cuda"] = [s.tolist() for s in torch.cuda.get_rng_state_all()]
    return state


def _set_rng_state(state: dict) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(torch.tensor(state["torch"], dtype=torch.uint8))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([torch.tensor(s, dtype=torch.uint8) for s in state["cuda"]])


def _load_rng_state(checkpoint: Path) -> dict:
    path = checkpoint / "rng.json"
    if not path.is_file():
        raise AorgenError("checkpoint has no rng.json (an older checkpoint stores it as a pickle, which is never "
                          "loaded); resume with --no-resume", file=checkpoint, field="rng.json")
    try:
        state = json.loads(path.read_text())
        _set_rng_state(state)
    except (ValueError, TypeError, KeyError, RuntimeError) as exc:
        raise AorgenError(f"unusable RNG state: {exc}", file=path) from None
    return state


def micro_batch_indices(n: int, batch_size: int, seed: int, micro_step: int) -> list[int]:
    """Example indices of global micro-batch ``micro_step`` (epoch-wise seeded shuffles;
    the last partial batch of an epoch is kept)."""
    per_epoch = math.ceil(n / batch_size)
    epoch, pos = divmod(micro_step, per_epoch)
    order = np.random.default_rng([seed, epoch]).permutation(n)
    return order[pos * batch_size : (pos + 1) * batch_size].tolist()


def total_steps(n: int, batch_size: int, grad_accum: int, steps: int | None, epochs: float) -> int:
    if steps is not None:
        return steps
    return max(1, math.ceil(epochs * math.ceil(n / batch_size) / grad_accum))


def add_lora(model, *, r: int, alpha: int, dropout: float, seed: int):
    """Wrap ``model`` with a fresh LoRA adapter on ``LORA_TARGETS`` (seeded init)."""
    require("peft", extra="train")
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    config = LoraConfig(
        r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=LORA_TARGETS, bias="none"
    )
    return get_peft_model(model, config)


def load_lora(model, adapter_dir: str | Path, *, merge: bool = False):
    """Apply a saved LoRA adapter (``<out_dir>/adapter``) to the base model, e.g. an
    evaluation model adapter's ``.model``, for ``aorgen eval`` of a fine-tuned model.
    ``merge=True`` folds it into the weights (faster generation)."""
    require("peft", extra="train")
    from peft import PeftModel

    adapter_dir = Path(adapter_dir)
    if not (adapter_dir / "adapter_config.json").is_file():
        raise AorgenError("not a LoRA adapter folder (no adapter_config.json)", file=adapter_dir)
    peft_model = PeftModel.from_pretrained(model, str(adapter_dir)).eval()
    return peft_model.merge_and_unload() if merge else peft_model


def latest_checkpoint(out_dir: Path) -> Path | None:
    """The complete checkpoint with the highest step, if any."""
    found = sorted((out_dir / "checkpoints").glob("step-*/state.json"))
    return found[-1].parent if found else None


def _write_json(path: Path, data: Any) -> None:
    atomic_write_bytes(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())


def _write_log(out_dir: Path, history: list[dict]) -> None:
    atomic_write_bytes(out_dir / "train_log.jsonl", "".join(json.dumps(h) + "\n" for h in history).encode())


def _save_checkpoint(out_dir, model, optimizer, scheduler, step, settings, history, keep) -> Path:
    ckpt_root = out_dir / "checkpoints"
    final = ckpt_root / f"step-{step:06d}"
    tmp = ckpt_root / f".step-{step:06d}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(str(tmp))
    torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
    torch.save(scheduler.state_dict(), tmp / "scheduler.pt")
    _write_json(tmp / "rng.json", _rng_state())
    _write_json(tmp / "state.json", {"step": step, "settings": asdict(settings), "history": history})
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    for old in sorted(ckpt_root.glob("step-*"))[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    _write_log(out_dir, history)
    return final


def _load_anchors(out_dir: Path) -> RRSAnchors | None:
    from safetensors.torch import load_file

    path = out_dir / _ANCHORS
    return RRSAnchors.from_state_dict(load_file(str(path))) if path.is_file() else None


def _save_anchors(out_dir: Path, anchors: RRSAnchors) -> None:
    from safetensors.torch import save

    state = {k: v.contiguous() for k, v in anchors.state_dict().items()}
    atomic_write_bytes(out_dir / _ANCHORS, save(state))


def finetune(
    dataset: str | Path,
    model_path: str | Path,
    method: str,
    out_dir: str | Path,
    *,
    steps: int | None = None,
    epochs: float = 1.0,
    lr: float = 1e-4,
    batch_size: int = 4,
    grad_accum: int = 4,
    lora_r: int = 16,
    lora_alpha: int | None = None,
    lora_dropout: float = 0.05,
    resume: bool = True,
    dtype: str = "auto",
    seed: int = 0,
    save_every: int = 50,
    keep_checkpoints: int = 2,
    warmup_ratio: float = 0.03,
    max_grad_norm: float = 1.0,
    gradient_checkpointing: bool | None = None,
    instruction: str = DEFAULT_INSTRUCTION,
    system: str | None = None,
    rrs: RRSConfig | None = None,
    examples: list[TrainExample] | None = None,
    on_step: Callable[[dict], None] | None = None,
    progress: bool = True,
) -> FinetuneResult:
    """Fine-tune a LoRA adapter on the ``train`` split of ``dataset``; wrapped by
    ``aorgen finetune --method rrs|sft``.

    ``steps`` (optimizer updates) overrides ``epochs``. ``dtype="auto"`` is bf16 on a GPU
    and fp32 on the CPU; ``gradient_checkpointing=None`` turns it on for GPUs.
    ``examples`` replaces the dataset's rows (already loaded ``TrainExample``s);
    ``on_step`` is called with each step's record after any checkpoint of that step.
    """
    if method not in METHODS:
        raise AorgenError(f"unknown method {method!r}; use {' or '.join(METHODS)}", field="method")
    out_dir = Path(out_dir)
    rrs = rrs or RRSConfig()
    if examples is None:
        from transformers import AutoFeatureExtractor

        try:
            rate = AutoFeatureExtractor.from_pretrained(model_path).sampling_rate
        except (OSError, ValueError) as exc:  # a path or Hub id transformers cannot load
            raise AorgenError(f"cannot load the model's feature extractor: {' '.join(str(exc).split())[:300]}",
                              file=str(model_path), field="--model") from None
        examples = load_examples(dataset, split="train", sampling_rate=rate)
    if not examples:
        raise AorgenError("the train split has no rows", file=dataset)
    settings = FinetuneSettings(
        method=method, model=str(model_path), dataset=str(dataset),
        steps=total_steps(len(examples), batch_size, grad_accum, steps, epochs), lr=lr,
        batch_size=batch_size, grad_accum=grad_accum, lora_r=lora_r,
        lora_alpha=lora_alpha or 2 * lora_r, lora_dropout=lora_dropout, seed=seed,
        warmup_ratio=warmup_ratio, max_grad_norm=max_grad_norm, instruction=instruction,
        system=system, rrs=asdict(rrs) if method == "rrs" else {},
    )
    checkpoint = _prepare_out_dir(out_dir, settings, resume)

    _seed_everything(seed)
    model, processor = load_model_and_processor(model_path, dtype=dtype)
    anchors = None
    if method == "rrs":
        anchors = _load_anchors(out_dir) if checkpoint is not None else None
        if anchors is None:
            anchors = _compute_anchors(model, processor, examples, settings, rrs)
            _save_anchors(out_dir, anchors)

    model = add_lora(model, r=lora_r, alpha=settings.lora_alpha, dropout=lora_dropout, seed=seed)
    if gradient_checkpointing is None:
        gradient_checkpointing = next(model.parameters()).device.type == "cuda"
    if gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    from transformers import get_cosine_schedule_with_warmup

    scheduler = get_cosine_schedule_with_warmup(optimizer, int(warmup_ratio * settings.steps), settings.steps)
    start, history = 0, []
    if checkpoint is not None:
        start, history = _restore(checkpoint, model, optimizer, scheduler)

    collate = ChatCollator(processor, instruction=instruction, system=system, with_response=method == "sft")
    retain = ChatCollator(processor, instruction=instruction, system=system, with_response=True)
    model.train()
    from tqdm.auto import tqdm

    bar = tqdm(total=settings.steps, initial=start, disable=not progress, desc=f"finetune {method}")
    for step in range(start + 1, settings.steps + 1):
        totals: dict[str, float] = {}
        for micro in range(grad_accum):
            idx = micro_batch_indices(len(examples), batch_size, seed, (step - 1) * grad_accum + micro)
            chunk = [examples[i] for i in idx]
            batch = move_batch(collate(chunk), model)
            if method == "sft":
                loss, parts = model(**batch, use_cache=False).loss, {}
            else:
                harmful = torch.tensor([e.label == HARMFUL for e in chunk])
                benign = [e for e in chunk if e.label != HARMFUL]
                retain_batch = move_batch(retain(benign), model) if benign and rrs.kl_weight else None
                loss, parts = rrs_loss(model, batch, harmful, anchors, rrs, retain_batch)
            (loss / grad_accum).backward()
            for name, value in {"loss": loss.item(), **parts}.items():
                totals[name] = totals.get(name, 0.0) + value / grad_accum
        torch.nn.utils.clip_grad_norm_(params, max_grad_norm)
        record = {"step": step, **totals, "lr": scheduler.get_last_lr()[0]}
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        history.append(record)
        bar.update(1)
        bar.set_postfix(loss=f"{totals['loss']:.4f}")
        if step % save_every == 0 or step == settings.steps:
            _save_checkpoint(out_dir, model, optimizer, scheduler, step, settings, history, keep_checkpoints)
        if on_step is not None:
            on_step(record)
    bar.close()
    model.eval()
    adapter_dir = _save_final(out_dir, model, settings, history, with_anchors=anchors is not None)
    return FinetuneResult(
        out_dir=out_dir, adapter_dir=adapter_dir, method=method, steps=settings.steps,
        resumed_from=start if checkpoint is not None else None, history=history, model=model,
    )


def _prepare_out_dir(out_dir: Path, settings: FinetuneSettings, resume: bool) -> Path | None:
    """The checkpoint to resume from (its settings must match), or None after clearing
    the outputs of an earlier run."""
    checkpoint = latest_checkpoint(out_dir) if resume else None
    if checkpoint is not None:
        saved = _read_state(checkpoint)["settings"]
        wanted = json.loads(json.dumps(asdict(settings)))
        changed = sorted(k for k in wanted if saved.get(k) != wanted[k])
        if changed:
            raise AorgenError(
                f"checkpoint was made with other settings ({', '.join(changed)}); "
                "use another output folder or resume=False",
                file=checkpoint,
            )
        return checkpoint
    for stale in ("checkpoints", "adapter"):
        shutil.rmtree(out_dir / stale, ignore_errors=True)
    (out_dir / _ANCHORS).unlink(missing_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    return None


def _compute_anchors(model, processor, examples, settings: FinetuneSettings, rrs: RRSConfig) -> RRSAnchors:
    prompts = ChatCollator(processor, instruction=settings.instruction, system=settings.system, with_response=False)
    size = settings.batch_size
    batches = (move_batch(prompts(examples[i : i + size]), model) for i in range(0, len(examples), size))
    return compute_anchors(model, processor.tokenizer, batches, examples, rrs)


def _restore(checkpoint: Path, model, optimizer, scheduler) -> tuple[int, list[dict]]:
    """Load adapter weights, optimizer, scheduler and RNG state; returns (step, history)."""
    import pickle

    require("peft", extra="train")
    from peft import set_peft_model_state_dict
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    name = "adapter_model.safetensors"
    try:  # tensors only: weights_only refuses any pickled object that is not plain data
        set_peft_model_state_dict(model, load_file(str(checkpoint / name)))
        name = "optimizer.pt"
        optimizer.load_state_dict(torch.load(checkpoint / name, weights_only=True))
        name = "scheduler.pt"
        scheduler.load_state_dict(torch.load(checkpoint / name, weights_only=True))
    except (OSError, RuntimeError, ValueError, KeyError, pickle.UnpicklingError, SafetensorError) as exc:
        raise AorgenError(f"unusable checkpoint file ({' '.join(str(exc).split())[:200]}); resume with --no-resume",
                          file=checkpoint / name) from None
    _load_rng_state(checkpoint)
    saved = _read_state(checkpoint)
    return saved["step"], saved["history"]


def _read_state(checkpoint: Path) -> dict:
    path = checkpoint / "state.json"
    try:
        state = json.loads(path.read_text())
        if not isinstance(state, dict) or not {"step", "settings", "history"} <= state.keys():
            raise ValueError("lacks step, settings or history")
    except (OSError, ValueError) as exc:
        raise AorgenError(f"unusable checkpoint state: {exc}", file=path) from None
    return state


def _save_final(out_dir: Path, model, settings: FinetuneSettings, history: list[dict], *, with_anchors: bool) -> Path:
    adapter_dir = out_dir / "adapter"
    tmp = out_dir / ".adapter.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(str(tmp))
    if with_anchors:
        shutil.copy(out_dir / _ANCHORS, tmp / _ANCHORS)
    shutil.rmtree(adapter_dir, ignore_errors=True)
    os.replace(tmp, adapter_dir)
    summary = {
        "settings": asdict(settings), "steps": settings.steps, "history": history,
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    _write_json(out_dir / "finetune.json", summary)
    _write_log(out_dir, history)
    return adapter_dir
