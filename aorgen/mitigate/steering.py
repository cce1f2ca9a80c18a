"""Activation steering on the language model's decoder layers.

A steering vector is a difference of means of decoder-layer hidden states between a
"refuse" class and a "comply" class (so it points towards refusal):

- ``method="contrast"``: ``harmful_contrast`` inputs vs ``pseudo_harmful`` inputs;
- ``method="judged"``: inputs whose response a judge labelled a refusal vs inputs whose
  response it labelled compliance.

Hidden states are the outputs of the language model's decoder layers (never the audio
encoder's), read at the last prompt token (``position="prompt_last"``: the state from
which the first response token is predicted) or averaged over the response's tokens
(``position="response_mean"``, teacher-forced; needs the responses).

How a vector is fitted (classes, layer selection) is in ``fit_vector``.

At inference ``apply_steering`` hooks the decoder layers: ``mode="add"`` adds
``coefficient * v`` to the chosen layer's output at every position (a negative
coefficient steers away from refusal); ``mode="ablate"`` is Arditi et al.'s directional
ablation: the component along ``u = v/|v|`` is removed from every decoder layer's input and
from the output of every attention and MLP block (everything written into the residual
stream), at every position; ``mode="clamp"`` sets the projection on ``u`` at the chosen
layer's output to ``offset`` (``h - ((h.u) - offset) u``: with ``offset`` the benign mean's
projection, an affine ablation towards the benign inputs, see ``overrefusal``);
``mode="sarsteer"`` adds ``coefficient * v[i]`` to the output of layer ``layers[i]`` at the
last position only (SARSteer, see ``sarsteer``). The hooks are removed when the context
exits, leaving the model exactly as it was.

Selection by causal effect (Arditi et al.) is in ``arditi``; the over-refusal direction
orthogonalised against the refusal direction in ``overrefusal``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from aorgen.render.cache import atomic_write_bytes
from aorgen.errors import AorgenError, require
from aorgen.mitigate.model import (
    backbone,
    decoder_layers,
    unembedding,
)
from aorgen.mitigate.training import (
    DEFAULT_INSTRUCTION,
    ChatCollator,
    TrainExample,
    last_token_index,
    move_batch,
)

torch = require("torch", extra="train")

MODES = ("add", "ablate", "clamp", "sarsteer")
POSITIONS = ("prompt_last", "response_mean")
SELECTION_RULE = (
    "max held-out AUROC of projections over the first 80% of decoder layers; "
    "ties -> larger held-out Fisher ratio, then earlier layer"
)
_META_KEY = "aorgen_steering"


@dataclass
class SteeringVector:
    """A direction in one decoder layer's output space, with how it was made."""

    vector: torch.Tensor  # (hidden,), float32: mean(refuse) - mean(comply)
    layer: int  # 0-based index into the language model's decoder layers
    method: str  # "contrast" | "judged"
    mode: str = "add"  # "add" | "ablate"
    coefficient: float = -1.0  # for mode="add": h + coefficient * vector
    model_id: str = "unknown"
    position: str = "prompt_last"
    n_per_class: dict[str, int] = field(default_factory=dict)
    created: str = ""  # ISO 8601 UTC
    selection_rule: str = SELECTION_RULE
    layer_scores: dict[int, dict[str, float]] = field(default_factory=dict)
    offset: float = 0.0  # for mode="clamp": the projection the hook sets
    layers: list[int] = field(default_factory=list)  # for mode="sarsteer": one per row of vector
    details: dict = field(default_factory=dict)  # method-specific settings (k, alpha, table file, ...)

    @property
    def unit(self) -> torch.Tensor:
        return self.vector / self.vector.norm().clamp_min(1e-12)

    def tag(self, coefficient: float | None = None, mode: str | None = None) -> str:
        """A short name for runs steered with this vector (evaluation caches generations by
        model and prompt, so a steered run needs its own run name), e.g.
        ``steer-contrast-add-L14-c-1-3f2a9c1e``."""
        import hashlib

        digest = hashlib.sha256(self.vector.detach().float().cpu().numpy().tobytes()).hexdigest()[:8]
        c = self.coefficient if coefficient is None else coefficient
        return f"steer-{self.method}-{mode or self.mode}-L{self.layer}-c{c:g}-{digest}"

    def metadata(self) -> dict:
        return {
            "layer": self.layer, "method": self.method, "mode": self.mode,
            "coefficient": self.coefficient, "model_id": self.model_id,
            "position": self.position, "n_per_class": self.n_per_class,
            "created": self.created, "selection_rule": self.selection_rule,
            "layer_scores": {str(k): v for k, v in self.layer_scores.items()},
            "hidden_size": int(self.vector.shape[-1]),
            "offset": self.offset, "layers": list(self.layers), "details": self.details,
        }

    def save(self, path: str | Path) -> Path:
        """Write ``<path>.safetensors`` (tensor + metadata in its header) and a readable
        ``.json`` beside it; both atomically. Returns the safetensors path."""
        from safetensors.torch import save

        path = Path(path).with_suffix(".safetensors")
        meta = json.dumps(self.metadata(), sort_keys=True)
        blob = save({"vector": self.vector.detach().float().cpu().contiguous()}, metadata={_META_KEY: meta})
        atomic_write_bytes(path, blob)
        atomic_write_bytes(path.with_suffix(".json"), (json.dumps(self.metadata(), indent=2) + "\n").encode())
        return path

    @classmethod
    def load(cls, path: str | Path) -> SteeringVector:
        from safetensors import SafetensorError, safe_open

        path = Path(path)
        try:
            with safe_open(str(path), framework="pt") as fh:
                meta = json.loads((fh.metadata() or {})[_META_KEY])
                vector = fh.get_tensor("vector")
        except (OSError, KeyError, ValueError, SafetensorError) as exc:
            raise AorgenError(f"not an aorgen steering vector ({exc})", file=path) from exc
        meta.pop("hidden_size", None)
        meta["layer_scores"] = {int(k): v for k, v in meta.get("layer_scores", {}).items()}
        return cls(vector=vector, **meta)


# ---------------------------------------------------------------- hidden states


def _output_tensor(out):
    return out[0] if isinstance(out, tuple) else out


def collect_hidden_states(
    model,
    processor,
    examples: Sequence[TrainExample],
    *,
    position: str = "prompt_last",
    batch_size: int = 4,
    instruction: str = DEFAULT_INSTRUCTION,
    system: str | None = None,
) -> torch.Tensor:
    """Decoder-layer outputs for each example: float32 ``(n_layers, n_examples, hidden)``.

    ``prompt_last``: the last prompt token (prompt ends with the assistant header);
    ``response_mean``: mean over the assistant response tokens (``example.target``).
    """
    if position not in POSITIONS:
        raise AorgenError(f"unknown position {position!r}; use {' or '.join(POSITIONS)}", field="position")
    collator = ChatCollator(
        processor, instruction=instruction, system=system, with_response=position == "response_mean"
    )
    layers = decoder_layers(model)
    captured: dict[int, torch.Tensor] = {}

    def hook(index: int):
        def record(module, args, out):
            captured[index] = _output_tensor(out)

        return record

    handles = [layer.register_forward_hook(hook(i)) for i, layer in enumerate(layers)]
    chunks = []
    try:
        with torch.no_grad():
            for start in range(0, len(examples), batch_size):
                batch = move_batch(collator(examples[start : start + batch_size]), model)
                labels = batch.pop("labels", None)
                backbone(model)(**batch, use_cache=False)
                hs = torch.stack([captured[i] for i in range(len(layers))]).float()
                if labels is None:
                    rows = torch.arange(hs.shape[1], device=hs.device)
                    chunks.append(hs[:, rows, last_token_index(batch["attention_mask"])].cpu())
                else:
                    weight = (labels != -100).float()
                    mean = (hs * weight[None, :, :, None]).sum(2) / weight.sum(1)[None, :, None]
                    chunks.append(mean.cpu())
    finally:
        for handle in handles:
            handle.remove()
    return torch.cat(chunks, dim=1)


# ---------------------------------------------------------------- applying


@contextmanager
def apply_steering(
    model,
    vector: SteeringVector,
    *,
    coefficient: float | None = None,
    mode: str | None = None,
) -> Iterator[None]:
    """Steer ``model`` inside the ``with`` block (see the module docstring). ``coefficient``
    and ``mode`` override the vector's own. Used by ``aorgen eval ... --steer VEC``."""
    mode = mode or vector.mode
    coefficient = vector.coefficient if coefficient is None else coefficient
    layers = decoder_layers(model)
    hidden = unembedding(model).in_features
    if vector.vector.shape[-1] != hidden:
        raise AorgenError(
            f"vector has {vector.vector.shape[-1]} dimensions, the model's hidden size is {hidden}",
            field="vector",
        )
    for index in [vector.layer, *vector.layers]:
        if not 0 <= index < len(layers):
            raise AorgenError(f"vector layer {index} is outside this model's layers", field="layer")

    def cast(t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        return t.to(device=like.device, dtype=like.dtype)

    def edit(out, fn):
        if isinstance(out, tuple):
            return (fn(out[0]), *out[1:])
        return fn(out)

    if mode == "add":
        def add(h: torch.Tensor) -> torch.Tensor:
            return h + coefficient * cast(vector.vector, h)

        handles = [layers[vector.layer].register_forward_hook(lambda m, a, out: edit(out, add))]
    elif mode == "ablate":
        unit = vector.unit

        def ablate(h: torch.Tensor) -> torch.Tensor:
            u = cast(unit, h)
            return h - (h @ u)[..., None] * u

        def ablate_input(module, args, kwargs):
            if args:
                return edit(args, ablate), kwargs
            return args, {**kwargs, "hidden_states": ablate(kwargs["hidden_states"])}

        handles = [layer.register_forward_pre_hook(ablate_input, with_kwargs=True) for layer in layers]
        for layer in layers:
            for block in _residual_writers(layer):
                handles.append(block.register_forward_hook(lambda m, a, out: edit(out, ablate)))
    elif mode == "clamp":
        unit = vector.unit

        def clamp(h: torch.Tensor) -> torch.Tensor:
            u = cast(unit, h)
            return h - ((h @ u) - vector.offset)[..., None] * u

        handles = [layers[vector.layer].register_forward_hook(lambda m, a, out: edit(out, clamp))]
    elif mode == "sarsteer":
        if vector.vector.dim() != 2 or len(vector.layers) != vector.vector.shape[0]:
            raise AorgenError("mode 'sarsteer' needs one vector per layer (a SARSteer vector file)", field="mode")

        def last_add(row: torch.Tensor):
            def add(h: torch.Tensor) -> torch.Tensor:
                h = h.clone()
                h[:, -1] += coefficient * cast(row, h)
                return h

            return lambda m, a, out: edit(out, add)

        handles = [layers[i].register_forward_hook(last_add(row)) for i, row in zip(vector.layers, vector.vector)]
    else:
        raise AorgenError(f"unknown mode {mode!r}; use {' or '.join(MODES)}", field="mode")
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def _residual_writers(layer) -> list:
    """The blocks of a decoder layer whose outputs are added to the residual stream
    (attention and MLP); a layer without them is treated as one block."""
    blocks = [getattr(layer, name) for name in ("self_attn", "mlp") if hasattr(layer, name)]
    return blocks or [layer]
