"""An over-refusal direction that leaves the refusal direction alone.

At one decoder layer, with prompt-last hidden states (``steering.collect_hidden_states``):

- the refusal direction ``r = mean(harmful_contrast) - mean(benign_control)`` (or a given
  one, e.g. the direction ``arditi`` selected, when it is at the same layer);
- the over-refusal direction ``o = mean(pseudo_harmful) - mean(benign_control)``: what
  makes harmless requests with harmful-sounding words look harmful;
- ``o_perp = o - (o . r_hat) r_hat``: orthogonalised against ``r``.

The hook (``apply_steering(mode="clamp")``) sets each input's projection on ``u = o_perp /
|o_perp|`` to the benign mean's projection: ``h <- h - ((h . u) - mean_benign . u) u``.
Pseudo-harmful inputs lie ``|o_perp|`` away along ``u`` on average and are moved back by
that much; harmful inputs differ from benign ones by ``r`` on average, which has no
component along ``u``, so their mean is not moved (only their scatter along ``u``). Without
the orthogonalisation the hook would also remove the part of ``r`` that ``o`` shares, and
lower refusal of harmful requests.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from aorgen.errors import AorgenError, require
from aorgen.mitigate.model import decoder_layers, model_id
from aorgen.mitigate.fit_vector import diff_of_means
from aorgen.mitigate.steering import SteeringVector, collect_hidden_states
from aorgen.mitigate.training import DEFAULT_INSTRUCTION, TrainExample

torch = require("torch", extra="train")


def orthogonalize(v: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    """``v`` minus its projection on ``r``."""
    r_hat = r / r.norm().clamp_min(1e-12)
    return v - (v @ r_hat) * r_hat


def fit_over_refusal(model, processor, examples: Sequence[TrainExample], *, layer: int | None = None,
                     refusal: SteeringVector | None = None, orthogonal: bool = True, batch_size: int = 4,
                     instruction: str = DEFAULT_INSTRUCTION, system: str | None = None) -> SteeringVector:
    """The clamp vector of the module docstring at ``layer`` (default: the refusal vector's
    layer, else the middle decoder layer). ``orthogonal=False`` skips the
    orthogonalisation (for comparison only)."""
    groups = {lab: [e for e in examples if e.label == lab] for lab in ("pseudo_harmful", "benign_control",
                                                                        "harmful_contrast")}
    missing = [lab for lab, rows in groups.items() if not rows]
    if missing:
        raise AorgenError(f"the over-refusal direction needs rows labelled {', '.join(missing)}", field="label")
    n_layers = len(decoder_layers(model))
    if layer is None:
        layer = refusal.layer if refusal is not None else n_layers // 2
    if not 0 <= layer < n_layers:
        raise AorgenError(f"layer {layer} is outside 0..{n_layers - 1}", field="layer")
    kwargs = dict(batch_size=batch_size, instruction=instruction, system=system)
    hs = {lab: collect_hidden_states(model, processor, rows, **kwargs)[layer] for lab, rows in groups.items()}
    if refusal is not None and refusal.layer == layer and refusal.vector.dim() == 1:
        r = refusal.vector.float()
    else:
        r = diff_of_means(hs["harmful_contrast"], hs["benign_control"])
    o = diff_of_means(hs["pseudo_harmful"], hs["benign_control"])
    v = orthogonalize(o, r) if orthogonal else o
    u = v / v.norm().clamp_min(1e-12)
    cosine = float(o @ r / (o.norm() * r.norm()).clamp_min(1e-12))
    return SteeringVector(
        vector=v, layer=layer, method="overrefusal", mode="clamp", coefficient=0.0, model_id=model_id(model),
        n_per_class={lab: len(rows) for lab, rows in groups.items()},
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        selection_rule="fixed layer (the refusal vector's, else the middle one)",
        offset=float(hs["benign_control"].mean(0) @ u),
        details={"orthogonal": orthogonal, "cos_over_refusal_vs_refusal": cosine,
                 "refusal_source": "given" if refusal is not None and refusal.layer == layer else "harmful-benign"},
    )
