"""Representation-reshaping (RRS) objective, reimplemented from the description of
Yang et al., "Reshaping Representation Space to Balance the Safety and Over-rejection in
Large Audio Language Models" (EMNLP 2025). Not the authors' code.

The only supervision is the harmful / not-harmful split of the inputs (dataset labels):
no target responses.

1. Refusal features: the LM head maps the final (normed) hidden state ``z`` to logits
   ``W z``. The gradient of the refusal-opening tokens' logits ("I", "Sorry", ...; their
   first tokens) with respect to ``z`` is the mean of their rows of ``W``; the ``top_k``
   hidden dimensions with the largest absolute value of it are the features most tied
   to starting a refusal.
2. Anchors: with the untuned model, the mean of those features at the last prompt
   position over ``harmful_contrast`` inputs is the refusal-region centroid ``mu_R``; over
   ``benign_control`` inputs (or ``pseudo_harmful`` ones when the split has no
   controls) the answerable-region centroid ``mu_A``.
3. Loss on a batch, with ``z`` the selected features at the last prompt position:
   ``pull`` = mean squared distance (per feature) of harmful inputs to ``mu_R`` and of
   benign + pseudo-harmful inputs to ``mu_A``; ``separation`` = ``relu(margin - |c_R - c_A|)^2 / k``
   with ``c_R``, ``c_A`` the batch centroids of the two groups and ``margin`` =
   ``margin_scale * |mu_R - mu_A|``; ``retention`` = KL(untuned || tuned) of the
   next-token distributions at the prompt's text positions other than the last (the
   last one is the decision that ``pull`` reshapes). Total =
   ``pull + sep_weight * separation + kl_weight * retention``. LoRA on the language model
   only (see ``finetune``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aorgen.errors import AorgenError, require
from aorgen.mitigate.model import backbone, unembedding
from aorgen.mitigate.targets import REFUSAL_OPENING_WORDS
from aorgen.mitigate.training import TrainExample, last_token_index

torch = require("torch", extra="train")
F = torch.nn.functional

HARMFUL = "harmful_contrast"


@dataclass
class RRSConfig:
    top_k: int = 64  # refusal features (clamped to the hidden size)
    sep_weight: float = 1.0
    kl_weight: float = 1.0
    margin_scale: float = 1.0
    refusal_words: tuple[str, ...] = REFUSAL_OPENING_WORDS


@dataclass
class RRSAnchors:
    """What the objective is measured against; computed once from the untuned model."""

    features: torch.Tensor  # (k,) long: hidden dimensions
    refusal_centroid: torch.Tensor  # (k,)
    answer_centroid: torch.Tensor  # (k,)
    margin: float

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {
            "features": self.features, "refusal_centroid": self.refusal_centroid,
            "answer_centroid": self.answer_centroid, "margin": torch.tensor(self.margin),
        }

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor]) -> RRSAnchors:
        return cls(
            features=state["features"].long(),
            refusal_centroid=state["refusal_centroid"].float(),
            answer_centroid=state["answer_centroid"].float(),
            margin=float(state["margin"]),
        )


def refusal_token_ids(tokenizer, words: Sequence[str] = REFUSAL_OPENING_WORDS) -> list[int]:
    """First token of each word, with and without a leading space."""
    ids = set()
    for word in words:
        for variant in (word, " " + word):
            tokens = tokenizer(variant, add_special_tokens=False)["input_ids"]
            if tokens:
                ids.add(tokens[0])
    return sorted(ids)


def select_refusal_features(weight: torch.Tensor, token_ids: Sequence[int], k: int) -> torch.Tensor:
    """Indices (sorted) of the ``k`` hidden dimensions with the largest ``|mean_t W[t]|``."""
    if not token_ids:
        raise AorgenError("no refusal-opening tokens found in the tokenizer", field="refusal_words")
    score = weight[list(token_ids)].float().mean(dim=0).abs()
    return score.topk(min(k, score.numel())).indices.sort().values


def prompt_outputs(model, batch: dict[str, torch.Tensor], features: torch.Tensor):
    """For a prompt-only batch: (final normed hidden states ``(B, T, h)``, last prompt
    index ``(B,)``, the ``features`` of the last prompt token as float ``(B, k)``)."""
    hidden = backbone(model)(**batch, use_cache=False).last_hidden_state
    last = last_token_index(batch["attention_mask"])
    z = hidden[torch.arange(len(last), device=hidden.device), last][:, features.to(hidden.device)]
    return hidden, last, z.float()


def compute_anchors(model, tokenizer, batches, examples: Sequence[TrainExample], config: RRSConfig) -> RRSAnchors:
    """Refusal features and centroids from the (untuned) model. ``batches`` yields
    prompt-only batches covering ``examples`` in order."""
    features = select_refusal_features(
        unembedding(model).weight, refusal_token_ids(tokenizer, config.refusal_words), config.top_k
    )
    rows = []
    with torch.no_grad():
        for batch in batches:
            rows.append(prompt_outputs(model, batch, features)[2].cpu())
    z = torch.cat(rows)
    labels = [e.label for e in examples]
    harmful = torch.tensor([lab == HARMFUL for lab in labels])
    answer_label = "benign_control" if "benign_control" in labels else "pseudo_harmful"
    answer = torch.tensor([lab == answer_label for lab in labels])
    if not harmful.any() or not answer.any():
        raise AorgenError(
            "RRS needs harmful_contrast and benign_control (or pseudo_harmful) rows in the training split",
            field="label",
        )
    mu_r, mu_a = z[harmful].mean(0), z[answer].mean(0)
    return RRSAnchors(features, mu_r, mu_a, config.margin_scale * float((mu_r - mu_a).norm()))


def rrs_loss(
    model,
    batch: dict[str, torch.Tensor],
    is_harmful: torch.Tensor,
    anchors: RRSAnchors,
    config: RRSConfig,
    audio_token_id: int | None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """The RRS objective on one prompt-only batch (module docstring); returns the total
    and its components as floats."""
    hidden, last, z = prompt_outputs(model, batch, anchors.features)
    is_harmful = is_harmful.to(hidden.device)
    target = torch.where(
        is_harmful[:, None],
        anchors.refusal_centroid.to(z.device)[None],
        anchors.answer_centroid.to(z.device)[None],
    )
    pull = ((z - target) ** 2).mean()

    separation = z.new_zeros(())
    if is_harmful.any() and (~is_harmful).any():
        gap = (z[is_harmful].mean(0) - z[~is_harmful].mean(0)).norm()
        separation = F.relu(anchors.margin - gap) ** 2 / z.shape[1]

    retention = z.new_zeros(())
    if config.kl_weight:
        mask = batch["attention_mask"].bool().clone()
        mask[torch.arange(len(last), device=mask.device), last] = False
        if audio_token_id is not None:
            mask &= batch["input_ids"] != audio_token_id
        head = unembedding(model)
        with torch.no_grad(), model.disable_adapter():
            base = head(backbone(model)(**batch, use_cache=False).last_hidden_state[mask]).float()
        tuned = head(hidden[mask]).float()
        retention = F.kl_div(
            F.log_softmax(tuned, -1), F.log_softmax(base, -1), log_target=True, reduction="batchmean"
        )
    total = pull + config.sep_weight * separation + config.kl_weight * retention
    parts = {"pull": pull.item(), "separation": separation.item(), "retention": retention.item()}
    return total, parts
