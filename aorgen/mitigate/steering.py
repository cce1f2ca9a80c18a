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

Layer selection rule (``select_layer``): the candidates are the first 80 % of the decoder
layers (at least one). Each class is split into a fitting part and a held-out part
(``held_out`` fraction, at least one example per class, seeded); for each candidate layer
the direction is fitted on the fitting part and the held-out examples are projected onto
it. The chosen layer maximises the held-out AUROC of those projections; ties go to the
larger held-out Fisher ratio ``(m1 - m0)^2 / (v1 + v0)``, then to the earlier layer. The
final vector is refitted on all examples at the chosen layer.

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
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from aorgen.render.cache import atomic_write_bytes
from aorgen.errors import AorgenError, require
from aorgen.mitigate.model import (
    backbone,
    decoder_layers,
    load_model_and_processor,
    model_id,
    unembedding,
)
from aorgen.mitigate.training import (
    DEFAULT_INSTRUCTION,
    ChatCollator,
    TrainExample,
    last_token_index,
    load_examples,
    move_batch,
)

torch = require("torch", extra="train")

METHODS = ("contrast", "judged")
MODES = ("add", "ablate", "clamp", "sarsteer")
POSITIONS = ("prompt_last", "response_mean")
CANDIDATE_FRACTION = 0.8
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


# ---------------------------------------------------------------- fitting


def diff_of_means(refuse: torch.Tensor, comply: torch.Tensor) -> torch.Tensor:
    """``mean(refuse) - mean(comply)`` over the example axis (-2)."""
    return refuse.mean(dim=-2) - comply.mean(dim=-2)


def auroc(positive: np.ndarray, negative: np.ndarray) -> float:
    """P(score of a positive > score of a negative), ties counting one half."""
    positive, negative = np.asarray(positive, float), np.asarray(negative, float)
    greater = (positive[:, None] > negative[None, :]).mean()
    ties = (positive[:, None] == negative[None, :]).mean()
    return float(greater + 0.5 * ties)


def fisher_ratio(positive: np.ndarray, negative: np.ndarray) -> float:
    """``(mean_p - mean_n)^2 / (var_p + var_n + 1e-12)`` (population variances; the
    epsilon keeps single-example classes finite)."""
    positive, negative = np.asarray(positive, float), np.asarray(negative, float)
    gap = (positive.mean() - negative.mean()) ** 2
    return float(gap / (positive.var() + negative.var() + 1e-12))


def _holdout_split(n: int, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(n)
    k = max(1, round(fraction * n))
    if n - k < 1:
        return order, order  # too few to hold out: score in-sample
    return order[k:], order[:k]


def select_layer(
    refuse: torch.Tensor,
    comply: torch.Tensor,
    *,
    held_out: float = 0.25,
    seed: int = 0,
    candidates: Sequence[int] | None = None,
) -> tuple[int, dict[int, dict[str, float]]]:
    """Apply the layer selection rule (module docstring) to hidden states of shape
    ``(n_layers, n, hidden)``; returns the chosen layer and per-layer held-out scores."""
    n_layers = refuse.shape[0]
    if candidates is None:
        candidates = range(max(1, math.ceil(CANDIDATE_FRACTION * n_layers)))
    rng = np.random.default_rng(seed)
    fit_r, test_r = _holdout_split(refuse.shape[1], held_out, rng)
    fit_c, test_c = _holdout_split(comply.shape[1], held_out, rng)
    scores: dict[int, dict[str, float]] = {}
    for layer in candidates:
        direction = diff_of_means(refuse[layer, fit_r], comply[layer, fit_c])
        proj_r = (refuse[layer, test_r] @ direction).numpy()
        proj_c = (comply[layer, test_c] @ direction).numpy()
        scores[layer] = {"auroc": auroc(proj_r, proj_c), "fisher": fisher_ratio(proj_r, proj_c)}
    best = max(scores, key=lambda i: (scores[i]["auroc"], scores[i]["fisher"], -i))
    return best, scores


def contrast_classes(examples: Sequence[TrainExample]) -> tuple[list[TrainExample], list[TrainExample]]:
    """(refuse, comply) = (harmful_contrast, pseudo_harmful) examples."""
    return (
        [e for e in examples if e.label == "harmful_contrast"],
        [e for e in examples if e.label == "pseudo_harmful"],
    )


def judged_classes(
    examples: Sequence[TrainExample],
    refused: Mapping[str, bool],
    responses: Mapping[str, str] | None = None,
) -> tuple[list[TrainExample], list[TrainExample]]:
    """(refuse, comply) from judged generations: ``refused[id]`` says whether the model's
    response to that example was a refusal (ids absent from ``refused`` are skipped);
    ``responses[id]`` (optional) becomes the example's response, for ``response_mean``."""
    responses = responses or {}
    kept = [
        replace(e, response=responses.get(e.id, e.response)) for e in examples if e.id in refused
    ]
    return [e for e in kept if refused[e.id]], [e for e in kept if not refused[e.id]]


def fit_steering_vector(
    model,
    processor,
    refuse: Sequence[TrainExample],
    comply: Sequence[TrainExample],
    *,
    method: str,
    position: str = "prompt_last",
    layer: int | None = None,
    mode: str = "add",
    coefficient: float = -1.0,
    held_out: float = 0.25,
    seed: int = 0,
    batch_size: int = 4,
    instruction: str = DEFAULT_INSTRUCTION,
    system: str | None = None,
) -> SteeringVector:
    """Difference-of-means direction between the two classes, at ``layer`` or at the layer
    chosen by ``select_layer``."""
    if method not in METHODS:
        raise AorgenError(f"unknown method {method!r}; use {' or '.join(METHODS)}", field="method")
    if mode not in MODES:
        raise AorgenError(f"unknown mode {mode!r}; use {' or '.join(MODES)}", field="mode")
    if not refuse or not comply:
        raise AorgenError(
            f"need examples of both classes (refuse: {len(refuse)}, comply: {len(comply)}); "
            "for 'judged', the run must cover the same split's rows",
            field="method",
        )
    kwargs = dict(position=position, batch_size=batch_size, instruction=instruction, system=system)
    hs_refuse = collect_hidden_states(model, processor, refuse, **kwargs)
    hs_comply = collect_hidden_states(model, processor, comply, **kwargs)
    n_layers = hs_refuse.shape[0]
    if layer is not None and not 0 <= layer < n_layers:
        raise AorgenError(f"layer {layer} is outside 0..{n_layers - 1}", field="layer")
    candidates = None if layer is None else [layer]
    chosen, scores = select_layer(hs_refuse, hs_comply, held_out=held_out, seed=seed, candidates=candidates)
    return SteeringVector(
        vector=diff_of_means(hs_refuse[chosen], hs_comply[chosen]),
        layer=chosen,
        method=method,
        mode=mode,
        coefficient=coefficient,
        model_id=model_id(model),
        position=position,
        n_per_class={"refuse": len(refuse), "comply": len(comply)},
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        layer_scores=scores,
    )


def judged_refusals(run: str | Path, *, judge: str = "rules", condition: str = "audio"):
    """(refused, responses) by sample id from a judged evaluation run folder: ``refused[id]``
    is whether the judge labelled the model's response a (full or partial) refusal;
    responses judged ``empty`` or ``error`` are left out."""
    from aorgen.evaluate.judges import JUDGED_LABELS
    from aorgen.evaluate.metrics import load_results

    df = load_results(run, judge)
    if df.empty:
        raise AorgenError("the run has no generations", file=run)
    df = df[(df["condition"] == condition) & df["verdict"].isin(JUDGED_LABELS)]
    return dict(zip(df["id"], df["refusal"].astype(bool))), dict(zip(df["id"], df["response"]))


def fit_from_dataset(
    dataset_dir: str | Path,
    model_path: str | Path,
    out: str | Path,
    *,
    method: str = "contrast",
    run: str | Path | None = None,
    judge: str = "rules",
    condition: str = "audio",
    split: str = "train",
    dtype: str = "auto",
    **fit_kwargs,
) -> SteeringVector:
    """Load model + dataset split, fit a vector, save it to ``out``. Wrapped by
    ``aorgen steer fit``. ``method="judged"`` needs ``run``: a judged evaluation run of
    the same model on the same split (``aorgen eval --split train`` + ``aorgen judge``).
    ``arditi``, ``sarsteer`` and ``overrefusal`` take their settings in ``options``
    (``_fit_reference_method``)."""
    if method == "judged" and run is None:
        raise AorgenError("method 'judged' needs a judged evaluation run of the model", field="run")
    if Path(out).is_dir() or Path(out).with_suffix(".safetensors").is_dir():
        raise AorgenError("is a folder, expected the .safetensors file to write", file=out, field="--out")
    model, processor = load_model_and_processor(model_path, dtype=dtype)
    examples = load_examples(dataset_dir, split=split, sampling_rate=processor.feature_extractor.sampling_rate)
    if method in CAUSAL_METHODS:
        vector = _fit_reference_method(method, model, processor, examples, out, **fit_kwargs)
        vector.model_id = str(model_path)
        vector.save(out)
        return vector
    if method == "judged":
        refused, responses = judged_refusals(run, judge=judge, condition=condition)
        refuse, comply = judged_classes(examples, refused, responses)
    else:
        refuse, comply = contrast_classes(examples)
    vector = fit_steering_vector(model, processor, refuse, comply, method=method, **fit_kwargs)
    vector.model_id = str(model_path)
    vector.save(out)
    return vector


#: Methods after a reference (``arditi``, ``sarsteer``, ``overrefusal`` modules).
CAUSAL_METHODS = ("arditi", "sarsteer", "overrefusal")


def _fit_reference_method(method: str, model, processor, examples, out, *, layer: int | None = None,
                          seed: int = 0, batch_size: int = 4, options: Mapping | None = None,
                          **_ignored) -> SteeringVector:
    """``arditi``: causal selection, its table written beside ``out``; ``sarsteer``:
    per-layer vectors (options ``k``, ``alpha``, ``lambda``, ``layers``); ``overrefusal``:
    the clamp vector orthogonal to the refusal direction (option ``refusal``: a vector
    file, e.g. the ``arditi`` one)."""
    options = dict(options or {})
    by_label = {lab: [e for e in examples if e.label == lab]
                for lab in ("harmful_contrast", "benign_control", "pseudo_harmful")}
    if method == "arditi":
        from aorgen.mitigate.arditi import ArditiConfig, fit_arditi, write_table

        config = ArditiConfig(seed=seed, batch_size=batch_size,
                              **{k: options[k] for k in ("kl_threshold", "induce_threshold", "prune_fraction",
                                                         "held_out") if k in options})
        vector, rows = fit_arditi(model, processor, by_label["harmful_contrast"], by_label["benign_control"], config)
        csv_path, _ = write_table(rows, Path(out).with_suffix(".safetensors"))
        vector.details["table"] = csv_path.name
        return vector
    if method == "sarsteer":
        from aorgen.mitigate import sarsteer

        return sarsteer.fit_sarsteer(
            model, processor, by_label["harmful_contrast"], by_label["benign_control"] + by_label["pseudo_harmful"],
            k=options.get("k", sarsteer.DEFAULT_K), alpha=options.get("alpha", sarsteer.DEFAULT_ALPHA),
            strength=options.get("lambda", sarsteer.DEFAULT_LAMBDA), layers=options.get("layers"),
            batch_size=batch_size)
    from aorgen.mitigate.overrefusal import fit_over_refusal

    refusal = SteeringVector.load(options["refusal"]) if options.get("refusal") else None
    return fit_over_refusal(model, processor, examples, layer=layer, refusal=refusal, batch_size=batch_size)


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
