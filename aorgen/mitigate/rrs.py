"""Representation-reshaping (RRS) objective, reimplemented from Yang et al., "Reshaping
Representation Space to Balance the Safety and Over-rejection in Large Audio Language
Models" (EMNLP 2025, arXiv 2505.19670) and the authors' released scripts (YangHao97/RRS).
Not the authors' code.

The only supervision is the harmful / not-harmful split of the inputs: ``harmful_contrast``
rows are harmful, every other row (``pseudo_harmful``, ``benign_control``) is benign.
``z`` is the language model's final (normed) hidden state at the last prompt position, the
state the LM head reads the first response token from.

1. Features: with the untuned model, ``delta = mean_harmful(z) - mean_benign(z)`` and the
   LM-head row ``w_I`` of the refusal token "I" (``refusal_word``), each hidden dimension
   ``j`` contributes ``c_j = w_I[j] * delta[j]`` to the gap in the "I" logit between the two
   groups. The features are the top ``top_percent`` % of dimensions by ``c_j`` (only
   positive contributions); ``delta`` is zeroed elsewhere. (The authors' script keeps every
   positive contribution, about 51 % of Qwen2.5-Omni's 3,584 dimensions, and ablates 12.5,
   25 and 50 %; our default is 50.)
2. Cluster objective (``reshape``): each input's target is its own untuned state moved by
   ``delta`` on the features, ``z0 + delta`` for harmful inputs (pushed further into the
   refusal region) and ``z0 - delta`` for benign ones (pulled out of it), and the loss is the
   mean squared error of ``z`` to the target (the released training loss). Optional
   ``contract`` (weight ``contract_weight``, default 0 as released): the mean squared
   distance on the features of each input to its group's shifted centroid, which tightens
   the two clusters.
3. ``retention``: ``KL(untuned || tuned)`` of the next-token distribution at the positions
   that predict the benign rows' response tokens (teacher-forced on their compliance
   responses, ``aorgen.mitigate.targets``), weight ``kl_weight``.
4. ``penalty``: the squared Frobenius norm of every LoRA update ``scaling * B A``
   (the released script's weight-change penalty), weight ``weight_penalty``.

Total = ``reshape + contract_weight * contract + kl_weight * retention + weight_penalty *
penalty``. LoRA on the language model only (see ``finetune``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from aorgen.errors import AorgenError, require
from aorgen.mitigate.model import backbone, unembedding
from aorgen.mitigate.training import TrainExample, last_token_index

torch = require("torch", extra="train")
F = torch.nn.functional

HARMFUL = "harmful_contrast"


@dataclass
class RRSConfig:
    top_percent: float = 50.0  # m: share of hidden dimensions kept as features (positive contributions only)
    refusal_word: str = "I"
    contract_weight: float = 0.0
    kl_weight: float = 1.0
    weight_penalty: float = 1.0


@dataclass
class RRSAnchors:
    """What the objective is measured against; computed once from the untuned model."""

    features: torch.Tensor  # (k,) long: hidden dimensions
    delta: torch.Tensor  # (hidden,) mean_harmful - mean_benign, zero outside the features
    harmful_mean: torch.Tensor  # (hidden,)
    benign_mean: torch.Tensor  # (hidden,)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {"features": self.features, "delta": self.delta, "harmful_mean": self.harmful_mean,
                "benign_mean": self.benign_mean}

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor]) -> RRSAnchors:
        try:
            return cls(features=state["features"].long(), delta=state["delta"].float(),
                       harmful_mean=state["harmful_mean"].float(), benign_mean=state["benign_mean"].float())
        except KeyError as exc:
            raise AorgenError(f"RRS anchors lack {exc} (written by an older aorgen?)", field="rrs_anchors") from None


def refusal_token_id(tokenizer, word: str = "I") -> int:
    """The first token of ``word`` as a response opens with it (no leading space)."""
    ids = tokenizer(word, add_special_tokens=False)["input_ids"]
    if not ids:
        raise AorgenError(f"the tokenizer has no token for {word!r}", field="refusal_word")
    return ids[0]


def select_features(w_refusal: torch.Tensor, delta: torch.Tensor, top_percent: float) -> torch.Tensor:
    """Indices (sorted) of the top ``top_percent`` % of dimensions by ``w * delta``,
    positive contributions only (at least one dimension)."""
    if not 0 < top_percent <= 100:
        raise AorgenError(f"top_percent must be in (0, 100], not {top_percent}", field="top_percent")
    contribution = w_refusal.float() * delta.float()
    k = max(1, math.ceil(top_percent / 100 * contribution.numel()))
    k = min(k, max(1, int((contribution > 0).sum())))
    return contribution.topk(k).indices.sort().values


def last_states(model, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Final normed hidden state at each row's last prompt token, float ``(B, hidden)``."""
    hidden = backbone(model)(**batch, use_cache=False).last_hidden_state
    last = last_token_index(batch["attention_mask"])
    return hidden[torch.arange(len(last), device=hidden.device), last].float()


def compute_anchors(model, tokenizer, batches, examples: Sequence[TrainExample], config: RRSConfig) -> RRSAnchors:
    """Features and ``delta`` from the (untuned) model. ``batches`` yields prompt-only
    batches covering ``examples`` in order."""
    with torch.no_grad():
        z = torch.cat([last_states(model, batch).cpu() for batch in batches])
    harmful = torch.tensor([e.label == HARMFUL for e in examples])
    if not harmful.any() or harmful.all():
        raise AorgenError("RRS needs harmful_contrast rows and other rows in the training split", field="label")
    harmful_mean, benign_mean = z[harmful].mean(0), z[~harmful].mean(0)
    delta = harmful_mean - benign_mean
    w = unembedding(model).weight[refusal_token_id(tokenizer, config.refusal_word)].detach().float().cpu()
    features = select_features(w, delta, config.top_percent)
    masked = torch.zeros_like(delta)
    masked[features] = delta[features]
    return RRSAnchors(features, masked, harmful_mean, benign_mean)


def lora_penalty(model) -> torch.Tensor:
    """Sum over LoRA modules of ``|scaling * B A|_F^2``."""
    total = None
    for module in model.modules():
        if hasattr(module, "lora_A") and hasattr(module, "lora_B"):
            for key in module.lora_A:
                delta_w = module.scaling[key] * (module.lora_B[key].weight @ module.lora_A[key].weight)
                term = (delta_w.float() ** 2).sum()
                total = term if total is None else total + term
    return total if total is not None else torch.zeros(())


def retention_kl(model, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """``KL(untuned || tuned)`` at the positions predicting the labelled response tokens."""
    labels = batch["labels"]
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    predicts = labels[:, 1:] != -100  # position t predicts token t + 1
    head = unembedding(model)
    tuned = head(backbone(model)(**inputs, use_cache=False).last_hidden_state[:, :-1][predicts]).float()
    with torch.no_grad(), model.disable_adapter():
        base = head(backbone(model)(**inputs, use_cache=False).last_hidden_state[:, :-1][predicts]).float()
    return F.kl_div(F.log_softmax(tuned, -1), F.log_softmax(base, -1), log_target=True, reduction="batchmean")


def rrs_loss(model, batch: dict[str, torch.Tensor], is_harmful: torch.Tensor, anchors: RRSAnchors,
             config: RRSConfig, retain_batch: dict[str, torch.Tensor] | None = None):
    """The RRS objective on one prompt-only batch (module docstring), with ``retain_batch``
    the benign rows of the batch with their responses (labels on the response tokens);
    returns the total and its components as floats."""
    z = last_states(model, batch)
    with torch.no_grad(), model.disable_adapter():
        z0 = last_states(model, batch)
    harmful = is_harmful.to(z.device)[:, None]
    delta = anchors.delta.to(z.device)[None]
    reshape = F.mse_loss(z, torch.where(harmful, z0 + delta, z0 - delta))

    contract = z.new_zeros(())
    if config.contract_weight:
        feats = anchors.features.to(z.device)
        centre = torch.where(harmful, (anchors.harmful_mean.to(z.device) + anchors.delta.to(z.device))[None],
                             (anchors.benign_mean.to(z.device) - anchors.delta.to(z.device))[None])
        contract = ((z - centre)[:, feats] ** 2).mean()

    retention = z.new_zeros(())
    if config.kl_weight and retain_batch is not None:
        retention = retention_kl(model, retain_batch)
    penalty = lora_penalty(model).to(z.device) if config.weight_penalty else z.new_zeros(())
    total = (reshape + config.contract_weight * contract + config.kl_weight * retention
             + config.weight_penalty * penalty)
    parts = {"reshape": reshape.item(), "contract": contract.item(), "retention": retention.item(),
             "penalty": penalty.item()}
    return total, parts
