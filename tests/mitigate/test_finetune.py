"""LoRA fine-tuning (RRS and SFT) on the tiny Qwen2-Audio: loss, reload, resume."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from aorgen.errors import AorgenError  # noqa: E402
from aorgen.mitigate import finetune as ft  # noqa: E402
from aorgen.mitigate.model import load_model_and_processor  # noqa: E402
from aorgen.mitigate.rrs import RRSConfig, retention_kl, rrs_loss, select_features  # noqa: E402
from aorgen.mitigate.training import ChatCollator, load_examples, move_batch  # noqa: E402
from aorgen.testing.tiny_dataset import build_tiny_dataset  # noqa: E402
from aorgen.testing.tiny_models import build_tiny_qwen2_audio  # noqa: E402

pytestmark = pytest.mark.slow  # LoRA training runs (fast lane: pytest -m "not slow")

SETTINGS = dict(steps=4, batch_size=3, grad_accum=1, lora_r=4, lora_dropout=0.1, save_every=2, progress=False)


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory):
    return build_tiny_qwen2_audio(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def processor(tiny_path):
    from transformers import AutoProcessor

    return AutoProcessor.from_pretrained(tiny_path)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return build_tiny_dataset(tmp_path_factory.mktemp("ds"), rows_per_label=2)


@pytest.fixture(scope="module")
def sft_run(tiny_path, dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("sft")
    return ft.finetune(dataset, tiny_path, "sft", out, lr=1e-2, **SETTINGS)


@pytest.fixture(scope="module")
def rrs_run(tiny_path, dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("rrs")
    # full-batch steps: the tiny random model's features are nearly collapsed already, so
    # the objective is only seen to fall when each step sees the same batch
    settings = {**SETTINGS, "batch_size": 6, "steps": 3}
    return ft.finetune(dataset, tiny_path, "rrs", out, lr=3e-4, rrs=RRSConfig(top_percent=50.0), **settings)


def _adapter_weights(model) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters() if "lora_" in n}


def test_sft_lowers_the_loss_on_its_training_data(sft_run, processor, dataset):
    model = sft_run.model
    batch = move_batch(ChatCollator(processor)(load_examples(dataset)), model)
    with torch.no_grad():
        after = model(**batch).loss.item()
        with model.disable_adapter():
            before = model(**batch).loss.item()
    assert after < before - 0.1
    assert [h["step"] for h in sft_run.history] == [1, 2, 3, 4]


def test_rrs_moves_inputs_towards_their_reshaped_targets(rrs_run, processor, dataset):
    from safetensors.torch import load_file

    model = rrs_run.model
    anchors = ft.RRSAnchors.from_state_dict(load_file(str(rrs_run.adapter_dir / "rrs_anchors.safetensors")))
    assert 1 <= len(anchors.features) <= 32  # top 50 % of 64 dimensions, positive contributions only
    outside = torch.ones(64, dtype=torch.bool)
    outside[anchors.features] = False
    assert (anchors.delta[outside] == 0).all() and (anchors.delta[anchors.features] != 0).all()
    examples = load_examples(dataset)
    reshape_only = RRSConfig(kl_weight=0.0, weight_penalty=0.0)
    batch = move_batch(ChatCollator(processor, with_response=False)(examples), model)
    harmful = torch.tensor([e.label == "harmful_contrast" for e in examples])
    with torch.no_grad():
        after = rrs_loss(model, batch, harmful, anchors, reshape_only)[1]["reshape"]
    before = float((anchors.delta**2).mean())  # untuned: z = z0, so the error is |delta|^2 / hidden
    assert after < 0.9 * before
    assert {"reshape", "contract", "retention", "penalty"} <= set(rrs_run.history[-1])
    assert rrs_run.history[-1]["penalty"] > 0


def test_retention_is_measured_on_benign_response_tokens(rrs_run, processor, dataset):
    model = rrs_run.model
    benign = [e for e in load_examples(dataset) if e.label != "harmful_contrast"]
    batch = move_batch(ChatCollator(processor)(benign), model)
    with torch.no_grad():
        tuned = retention_kl(model, batch).item()
        prompt_only = dict(batch, labels=torch.where(batch["labels"] == -100, batch["input_ids"], -100))
        on_prompt = retention_kl(model, prompt_only).item()
    assert tuned > 0 and on_prompt > 0 and on_prompt != pytest.approx(tuned, rel=1e-3)


def test_features_are_the_top_share_of_refusal_token_contributions():
    w = torch.tensor([1.0, -2.0, 3.0, 0.5, 1.0, 2.0, -1.0, 0.0])
    delta = torch.tensor([1.0, -1.0, 1.0, 1.0, -1.0, 0.1, -3.0, 9.0])
    # contributions w * delta: [1, 2, 3, 0.5, -1, 0.2, 3, 0]
    assert select_features(w, delta, 25.0).tolist() == [2, 6]
    assert select_features(w, delta, 50.0).tolist() == [0, 1, 2, 6]
    assert select_features(w, delta, 100.0).tolist() == [0, 1, 2, 3, 5, 6]  # positive contributions only
    with pytest.raises(AorgenError):
        select_features(w, delta, 0.0)


def test_lora_is_only_on_the_language_model(sft_run):
    trainable = [n for n, p in sft_run.model.named_parameters() if p.requires_grad]
    assert trainable and all("language_model.layers." in n and "lora_" in n for n in trainable)
    assert any("mlp" in n for n in trainable) and any("self_attn" in n for n in trainable)


def test_saved_adapter_reloads_with_identical_outputs(sft_run, tiny_path, dataset):
    examples = load_examples(dataset)
    base, processor = load_model_and_processor(tiny_path, dtype="fp32")
    batch = move_batch(ChatCollator(processor, with_response=False)(examples[:3]), base)
    with torch.no_grad():
        base_logits = base(**batch).logits
        reloaded = ft.load_lora(base, sft_run.adapter_dir)(**batch).logits
        trained = sft_run.model(**batch).logits
    assert torch.equal(reloaded, trained)
    assert not torch.allclose(reloaded, base_logits, atol=1e-3)
    fresh, _ = load_model_and_processor(tiny_path, dtype="fp32")
    with torch.no_grad():
        merged = ft.load_lora(fresh, sft_run.adapter_dir, merge=True)(**batch).logits
    assert torch.allclose(merged, trained, atol=1e-5)
    summary = json.loads((sft_run.out_dir / "finetune.json").read_text())
    assert summary["steps"] == 4 and summary["settings"]["method"] == "sft"


def test_resume_continues_from_the_last_checkpoint(sft_run, tiny_path, dataset, tmp_path):
    out = tmp_path / "interrupted"

    def crash_at_3(record):
        if record["step"] == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ft.finetune(dataset, tiny_path, "sft", out, lr=1e-2, on_step=crash_at_3, **SETTINGS)
    assert ft.latest_checkpoint(out).name == "step-000002"
    assert not (out / "adapter").exists()

    steps_seen = []
    resumed = ft.finetune(
        dataset, tiny_path, "sft", out, lr=1e-2, on_step=lambda r: steps_seen.append(r["step"]), **SETTINGS
    )
    assert resumed.resumed_from == 2 and steps_seen == [3, 4]
    assert [h["loss"] for h in resumed.history] == [h["loss"] for h in sft_run.history]
    reference = _adapter_weights(sft_run.model)
    for name, value in _adapter_weights(resumed.model).items():
        assert torch.equal(value, reference[name]), name


def test_resume_refuses_other_settings(sft_run, tiny_path, dataset):
    with pytest.raises(AorgenError, match="lr"):
        ft.finetune(dataset, tiny_path, "sft", sft_run.out_dir, lr=5e-3, **SETTINGS)


def test_data_order_is_a_pure_function_of_seed_and_step():
    first_epoch = [ft.micro_batch_indices(7, 3, seed=0, micro_step=i) for i in range(3)]
    assert sorted(sum(first_epoch, [])) == list(range(7))
    assert ft.micro_batch_indices(7, 3, 0, 4) == ft.micro_batch_indices(7, 3, 0, 4)
    assert ft.micro_batch_indices(7, 3, 0, 3) != ft.micro_batch_indices(7, 3, 1, 3)
    assert ft.total_steps(7, 3, 2, steps=None, epochs=2.0) == 3
