"""Fitting a steering vector (``steering.SteeringVector``) to a model: the refuse and comply
classes (``contrast_classes``, ``judged_classes``), the difference of means at a chosen layer
(``fit_steering_vector``), from a built dataset (``fit_from_dataset``), or after a reference
method (``arditi``, ``sarsteer``, ``overrefusal``).

Layer selection rule (``select_layer``): the candidates are the first 80 % of the decoder
layers (at least one). Each class is split into a fitting part and a held-out part
(``held_out`` fraction, at least one example per class, seeded); for each candidate layer
the direction is fitted on the fitting part and the held-out examples are projected onto
it. The chosen layer maximises the held-out AUROC of those projections; ties go to the
larger held-out Fisher ratio ``(m1 - m0)^2 / (v1 + v0)``, then to the earlier layer. The
final vector is refitted on all examples at the chosen layer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from aorgen.errors import AorgenError, require
from aorgen.mitigate.model import load_model_and_processor, model_id
from aorgen.mitigate.steering import MODES, SteeringVector, collect_hidden_states
from aorgen.mitigate.training import DEFAULT_INSTRUCTION, TrainExample, load_examples

torch = require("torch", extra="train")

METHODS = ("contrast", "judged")
CANDIDATE_FRACTION = 0.8  # layers considered: the first 80 % of the decoder's


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
