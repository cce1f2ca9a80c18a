"""SARSteer-style refusal steering with the benign subspace projected out, after Lin et al.,
"SARSteer: Safeguarding Large Audio Language Models via Safe-Ablated Refusal Steering"
(arXiv 2510.17633; linweiii/SARSteer). Reimplemented.

For every decoder layer ``l`` (hidden states at the last prompt position, layer outputs):

- ``d[l] = mean over harmful rows of (h(instruction + refusal prompt) - h(instruction))``:
  what appending a refusal prompt ("I cannot assist with that.", the reference's default
  prompt) does to harmful inputs;
- ``U_k[l]``: the top-``k`` principal directions of the benign rows' hidden states
  (centred, by SVD) — the "safe subspace";
- ``v[l] = d[l] - lambda * U_k U_k^T d[l]``: the part of ``d`` outside the safe subspace.

At inference ``alpha * v[l]`` is added to the output of every chosen layer at the last
position (``apply_steering(mode="sarsteer")``; during generation the last position is each
new token). The reference's defaults: ``alpha = 0.1``, ``k = 10``, ``lambda = 1.0``, every
layer. Differences: the reference derives ``d`` from text-only prompts; here the rows are
the dataset's audio clips with the evaluation instruction (plus the refusal prompt), and
"benign" is ``benign_control`` + ``pseudo_harmful`` rows (``safe_labels``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from aorgen.errors import AorgenError, require
from aorgen.mitigate.model import model_id
from aorgen.mitigate.steering import SteeringVector, collect_hidden_states
from aorgen.mitigate.training import DEFAULT_INSTRUCTION, TrainExample

torch = require("torch", extra="train")

DEFAULT_ALPHA = 0.1
DEFAULT_K = 10
DEFAULT_LAMBDA = 1.0
REFUSAL_PROMPT = "I cannot assist with that."
SAFE_LABELS = ("benign_control", "pseudo_harmful")


def safe_basis(states: torch.Tensor, k: int) -> torch.Tensor:
    """Top-``k`` principal directions ``(hidden, k')`` of ``states`` ``(n, hidden)``
    (centred; ``k' = min(k, n, hidden)``)."""
    centred = states.float() - states.float().mean(0, keepdim=True)
    u, _, _ = torch.linalg.svd(centred.T, full_matrices=False)
    return u[:, : min(k, u.shape[1])]


def project_out(d: torch.Tensor, basis: torch.Tensor, strength: float = DEFAULT_LAMBDA) -> torch.Tensor:
    """``d - strength * B B^T d`` for an orthonormal basis ``B`` (hidden, k)."""
    return d - strength * basis @ (basis.T @ d)


def fit_sarsteer(model, processor, harmful: Sequence[TrainExample], safe: Sequence[TrainExample], *,
                 k: int = DEFAULT_K, alpha: float = DEFAULT_ALPHA, strength: float = DEFAULT_LAMBDA,
                 layers: Sequence[int] | None = None, refusal_prompt: str = REFUSAL_PROMPT, batch_size: int = 4,
                 instruction: str = DEFAULT_INSTRUCTION, system: str | None = None) -> SteeringVector:
    """Per-layer vectors (module docstring) as one ``SteeringVector`` with ``mode="sarsteer"``."""
    if not harmful or not safe:
        raise AorgenError(f"SARSteer needs harmful and benign rows (harmful: {len(harmful)}, benign: {len(safe)})",
                          field="label")
    if k < 0:
        raise AorgenError(f"k must be >= 0, not {k}", field="k")
    kwargs = dict(batch_size=batch_size, system=system)
    plain = collect_hidden_states(model, processor, harmful, instruction=instruction, **kwargs)
    refused = collect_hidden_states(model, processor, harmful, instruction=f"{instruction} {refusal_prompt}", **kwargs)
    benign = collect_hidden_states(model, processor, safe, instruction=instruction, **kwargs)
    n_layers = plain.shape[0]
    chosen = list(range(n_layers)) if layers is None else sorted(set(layers))
    bad = [i for i in chosen if not 0 <= i < n_layers]
    if bad or not chosen:
        raise AorgenError(f"layers {bad or chosen} outside 0..{n_layers - 1}", field="layers")
    rows = []
    for layer in chosen:
        d = (refused[layer] - plain[layer]).mean(0)
        rows.append(project_out(d, safe_basis(benign[layer], k), strength) if k else d)
    return SteeringVector(
        vector=torch.stack(rows), layer=chosen[0], method="sarsteer", mode="sarsteer", coefficient=alpha,
        model_id=model_id(model), position="prompt_last", layers=chosen,
        n_per_class={"harmful": len(harmful), "benign": len(safe)},
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        selection_rule="every chosen layer (reference: all layers)",
        details={"k": k, "alpha": alpha, "lambda": strength, "refusal_prompt": refusal_prompt},
    )
