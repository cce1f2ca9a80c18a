"""Refusal-direction selection after Arditi et al., "Refusal in language models is
mediated by a single direction" (NeurIPS 2024; andyrdt/refusal_direction). Reimplemented.

Candidates: for every decoder layer ``l`` and every post-instruction position ``p`` (the
tokens after the user's content in the chat template: ``<|im_end|>``, newline, the
assistant header), ``r[l, p] = mean(harmful) - mean(harmless)`` of the layer's output at
that position. (The reference reads the input of layer ``l``; the output of layer ``l``
is the input of layer ``l + 1``, so layer indices here are one lower.) Harmful =
``harmful_contrast`` rows, harmless = ``benign_control`` rows.

Causal scores, on held-out rows (``held_out`` fraction of each class, seeded, at most
``max_val`` = 32 per class as in the reference), with the
refusal score of ``aorgen.mitigate.refusal`` (log-odds of the refusal tokens at the first
generated position):

- ``bypass``: mean refusal score of harmful rows with ``r`` directionally ablated at every
  layer and position (``apply_steering(mode="ablate")``); lower is better;
- ``induce``: mean refusal score of harmless rows with ``coefficient * r`` added to layer
  ``l``'s output at every position; must reach ``induce_threshold`` (reference: 0.0);
- ``kl``: mean ``KL(plain || ablated)`` of the next-token distribution on harmless rows;
  must stay under ``kl_threshold`` (reference: 0.1).

Candidates from the last ``prune_fraction`` (reference: 20 %) of the layers are discarded
(and not scored). Among those that pass, the lowest ``bypass`` wins. Every candidate's
scores, and why it was discarded, form the selection table written beside the vector.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from aorgen.render.cache import atomic_write_bytes
from aorgen.errors import AorgenError, require
from aorgen.mitigate.model import backbone, decoder_layers, model_id
from aorgen.mitigate.refusal import (
    ARDITI_REFUSAL_WORDS,
    batch_logits,
    kl_divergence,
    refusal_score,
    refusal_token_ids,
)
from aorgen.mitigate.fit_vector import _holdout_split
from aorgen.mitigate.steering import SteeringVector, _output_tensor, apply_steering
from aorgen.mitigate.training import DEFAULT_INSTRUCTION, ChatCollator, TrainExample, last_token_index, move_batch

torch = require("torch", extra="train")

SELECTION_RULE = (
    "Arditi et al.: candidates per layer x post-instruction position; drop the last prune_fraction of layers, "
    "KL(harmless) > kl_threshold and induce < induce_threshold; then lowest bypass (harmful refusal score "
    "under ablation)"
)
TABLE_FIELDS = ("layer", "position", "token", "bypass", "induce", "kl", "kept", "reason")


@dataclass
class ArditiConfig:
    kl_threshold: float | None = 0.1
    induce_threshold: float | None = 0.0
    prune_fraction: float = 0.2
    coefficient: float = 1.0  # activation addition for the induce score
    held_out: float = 0.25
    max_val: int = 32  # held-out rows per class at most (the reference validates on 32)
    seed: int = 0
    refusal_words: tuple[str, ...] = ARDITI_REFUSAL_WORDS
    batch_size: int = 4


def post_instruction_tokens(collator: ChatCollator, example: TrainExample) -> list[int]:
    """Token ids of the prompt after the instruction text (the end of the user's turn and
    the assistant header)."""
    prompt = collator.text(example)
    if collator.instruction not in prompt:
        raise AorgenError("the instruction is not in the formatted prompt", field="chat_template")
    suffix = prompt.rsplit(collator.instruction, 1)[1]
    ids = collator.processor.tokenizer(suffix, add_special_tokens=False)["input_ids"]
    if not ids:
        raise AorgenError("the chat template has no tokens after the user's content", field="chat_template")
    return ids


def position_means(model, collator: ChatCollator, examples: Sequence[TrainExample], n_positions: int,
                   batch_size: int) -> torch.Tensor:
    """Mean decoder-layer outputs at the last ``n_positions`` prompt tokens: float32
    ``(n_layers, n_positions, hidden)``; position ``j`` is ``j - n_positions`` from the end."""
    layers = decoder_layers(model)
    captured: dict[int, torch.Tensor] = {}
    handles = [layer.register_forward_hook(lambda m, a, out, i=i: captured.__setitem__(i, _output_tensor(out)))
               for i, layer in enumerate(layers)]
    total = None
    try:
        with torch.no_grad():
            for start in range(0, len(examples), batch_size):
                batch = move_batch(collator(examples[start: start + batch_size]), model)
                backbone(model)(**batch, use_cache=False)
                last = last_token_index(batch["attention_mask"])
                offsets = torch.arange(-n_positions + 1, 1, device=last.device)
                cols = last[:, None] + offsets[None, :]  # (B, P)
                rows = torch.arange(len(last), device=last.device)[:, None]
                hs = torch.stack([captured[i][rows, cols] for i in range(len(layers))]).float()  # (L, B, P, h)
                part = hs.sum(1).cpu()
                total = part if total is None else total + part
    finally:
        for handle in handles:
            handle.remove()
    return total / len(examples)


def candidate_directions(model, processor, harmful, harmless, *, instruction: str = DEFAULT_INSTRUCTION,
                         system: str | None = None, batch_size: int = 4):
    """``(directions (n_layers, n_positions, hidden), position token strings)``."""
    collator = ChatCollator(processor, instruction=instruction, system=system, with_response=False)
    ids = post_instruction_tokens(collator, harmful[0])
    n = len(ids)
    diff = position_means(model, collator, harmful, n, batch_size) - position_means(
        model, collator, harmless, n, batch_size)
    return diff, [processor.tokenizer.decode([i]) for i in ids]


def _filter_reason(row: dict, n_layers: int, config: ArditiConfig) -> str:
    if row["layer"] >= int(n_layers * (1.0 - config.prune_fraction)):
        return "pruned layer"
    if any(math.isnan(row[k]) for k in ("bypass", "induce", "kl")):
        return "nan"
    if config.kl_threshold is not None and row["kl"] > config.kl_threshold:
        return "kl above threshold"
    if config.induce_threshold is not None and row["induce"] < config.induce_threshold:
        return "induce below threshold"
    return ""


def score_candidates(model, processor, directions: torch.Tensor, tokens: Sequence[str], harmful_val,
                     harmless_val, config: ArditiConfig, *, instruction: str = DEFAULT_INSTRUCTION,
                     system: str | None = None) -> tuple[list[dict], dict]:
    """Score every candidate (module docstring): the table rows and the baseline scores."""
    collator = ChatCollator(processor, instruction=instruction, system=system, with_response=False)
    size = config.batch_size
    harm_b = [move_batch(collator(harmful_val[i: i + size]), model) for i in range(0, len(harmful_val), size)]
    safe_b = [move_batch(collator(harmless_val[i: i + size]), model) for i in range(0, len(harmless_val), size)]
    token_ids = refusal_token_ids(processor.tokenizer, config.refusal_words)
    base_harm = batch_logits(model, harm_b)
    base_safe = batch_logits(model, safe_b)
    baseline = {"harmful": float(refusal_score(base_harm, token_ids).mean()),
                "harmless": float(refusal_score(base_safe, token_ids).mean())}
    n_layers, n_pos = directions.shape[:2]
    rows = []
    for layer in range(n_layers):
        for j in range(n_pos):
            row = {"layer": layer, "position": j - n_pos, "token": tokens[j]}
            if layer >= int(n_layers * (1.0 - config.prune_fraction)):
                row.update(bypass=float("nan"), induce=float("nan"), kl=float("nan"))
            else:
                vec = SteeringVector(vector=directions[layer, j], layer=layer, method="arditi")
                with apply_steering(model, vec, mode="ablate"):
                    ablated_harm = batch_logits(model, harm_b)
                    ablated_safe = batch_logits(model, safe_b)
                with apply_steering(model, vec, mode="add", coefficient=config.coefficient):
                    added_safe = batch_logits(model, safe_b)
                row.update(bypass=float(refusal_score(ablated_harm, token_ids).mean()),
                           induce=float(refusal_score(added_safe, token_ids).mean()),
                           kl=float(kl_divergence(base_safe, ablated_safe).mean()))
            row["reason"] = _filter_reason(row, n_layers, config)
            row["kept"] = not row["reason"]
            rows.append(row)
    return rows, baseline


def select_candidate(rows: Sequence[dict]) -> dict:
    """The kept row with the lowest bypass score (ties: earlier layer, earlier position)."""
    kept = [r for r in rows if r["kept"]]
    if not kept:
        reasons = sorted({r["reason"] for r in rows})
        raise AorgenError(f"every candidate direction was filtered out ({', '.join(reasons)}); loosen "
                          "--kl-threshold / --induce-threshold", field="selection")
    return min(kept, key=lambda r: (r["bypass"], r["layer"], r["position"]))


def fit_arditi(model, processor, harmful: Sequence[TrainExample], harmless: Sequence[TrainExample],
               config: ArditiConfig | None = None, *, instruction: str = DEFAULT_INSTRUCTION,
               system: str | None = None) -> tuple[SteeringVector, list[dict]]:
    """Candidates from the fitting rows, causal selection on the held-out rows; returns the
    chosen direction (``mode="ablate"``) and the full selection table."""
    config = config or ArditiConfig()
    if not harmful or not harmless:
        raise AorgenError(f"need harmful_contrast and benign_control rows (harmful: {len(harmful)}, "
                          f"harmless: {len(harmless)})", field="label")
    rng = np.random.default_rng(config.seed)
    fit_h, val_h = _holdout_split(len(harmful), config.held_out, rng)
    fit_s, val_s = _holdout_split(len(harmless), config.held_out, rng)
    val_h, val_s = val_h[: config.max_val], val_s[: config.max_val]
    pick = lambda xs, idx: [xs[i] for i in idx]  # noqa: E731
    directions, tokens = candidate_directions(model, processor, pick(harmful, fit_h), pick(harmless, fit_s),
                                              instruction=instruction, system=system, batch_size=config.batch_size)
    rows, baseline = score_candidates(model, processor, directions, tokens, pick(harmful, val_h),
                                      pick(harmless, val_s), config, instruction=instruction, system=system)
    best = select_candidate(rows)
    n_pos = directions.shape[1]
    vector = SteeringVector(
        vector=directions[best["layer"], best["position"] + n_pos].clone(), layer=best["layer"], method="arditi",
        mode="ablate", coefficient=-1.0, model_id=model_id(model), position=f"post_instruction{best['position']}",
        n_per_class={"harmful": len(harmful), "harmless": len(harmless)},
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"), selection_rule=SELECTION_RULE,
        layer_scores={best["layer"]: {k: best[k] for k in ("bypass", "induce", "kl")}},
        details={"config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(config).items()},
                 "baseline": baseline, "token": best["token"]},
    )
    return vector, rows


def write_table(rows: Sequence[dict], vector_path: str | Path) -> tuple[Path, Path]:
    """``<vector>.selection.csv`` and ``.selection.json`` beside the vector file."""
    base = Path(vector_path).with_suffix("")
    csv_path, json_path = base.with_name(base.name + ".selection.csv"), base.with_name(base.name + ".selection.json")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=TABLE_FIELDS)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row[k] for k in TABLE_FIELDS})
    atomic_write_bytes(csv_path, buf.getvalue().encode())
    clean = [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()} for r in rows]
    atomic_write_bytes(json_path, (json.dumps(clean, indent=1) + "\n").encode())
    return csv_path, json_path
