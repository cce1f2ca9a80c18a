"""Steering vectors: fitting, layer selection, hooks, save/load (tiny Qwen2-Audio)."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from aorgen.errors import AorgenError  # noqa: E402
from aorgen.mitigate import fit_vector as fit  # noqa: E402
from aorgen.mitigate import steering as st  # noqa: E402
from aorgen.mitigate.model import decoder_layers, language_model, load_model_and_processor, unembedding  # noqa: E402
from aorgen.mitigate.training import ChatCollator, load_examples, move_batch  # noqa: E402
from aorgen.testing.tiny_dataset import build_tiny_dataset  # noqa: E402
from aorgen.testing.tiny_models import build_tiny_qwen2_audio  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = build_tiny_qwen2_audio(tmp_path_factory.mktemp("tiny"))
    return load_model_and_processor(path, dtype="fp32")


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    folder = build_tiny_dataset(tmp_path_factory.mktemp("ds"), rows_per_label=3)
    return load_examples(folder, split="train")


def _clouds(n: int, hidden: int, direction: torch.Tensor, gap: float, seed: int):
    g = torch.Generator().manual_seed(seed)
    refuse = torch.randn(n, hidden, generator=g) + gap * direction
    comply = torch.randn(n, hidden, generator=g)
    return refuse, comply


def test_fitted_direction_separates_two_synthetic_classes():
    hidden = 32
    planted = torch.nn.functional.normalize(torch.randn(hidden, generator=torch.Generator().manual_seed(1)), dim=0)
    refuse, comply = _clouds(200, hidden, planted, gap=6.0, seed=2)
    v = fit.diff_of_means(refuse, comply)
    assert torch.nn.functional.cosine_similarity(v, planted, dim=0) > 0.9
    test_refuse, test_comply = _clouds(200, hidden, planted, gap=6.0, seed=3)  # fresh samples
    assert fit.auroc((test_refuse @ v).numpy(), (test_comply @ v).numpy()) > 0.99


def test_auroc_and_fisher_known_values():
    assert fit.auroc(np.array([2.0, 3.0]), np.array([0.0, 1.0])) == 1.0
    assert fit.auroc(np.array([0.0, 1.0]), np.array([2.0, 3.0])) == 0.0
    assert fit.auroc(np.array([1.0]), np.array([1.0])) == 0.5
    assert fit.fisher_ratio(np.array([1.0, 3.0]), np.array([-1.0, -3.0])) == pytest.approx(16 / 2)


def test_layer_sweep_picks_the_separating_layer_and_breaks_ties_early():
    hidden, n = 16, 40
    direction = torch.zeros(hidden)
    direction[0] = 1.0
    noise_r, noise_c = _clouds(n, hidden, direction, gap=0.0, seed=4)
    sep_r, sep_c = _clouds(n, hidden, direction, gap=8.0, seed=5)
    refuse = torch.stack([noise_r, sep_r, noise_r, noise_r, noise_r])
    comply = torch.stack([noise_c, sep_c, noise_c, noise_c, noise_c])
    layer, scores = fit.select_layer(refuse, comply, seed=0)
    assert layer == 1
    assert sorted(scores) == [0, 1, 2, 3]  # first 80% of 5 layers
    assert scores[1]["auroc"] > 0.95 and scores[0]["auroc"] < scores[1]["auroc"]
    same = torch.stack([sep_r, sep_r, sep_r])
    same_c = torch.stack([sep_c, sep_c, sep_c])
    assert fit.select_layer(same, same_c, candidates=[1, 2])[0] == 1


def _last_logits(model, batch):
    with torch.no_grad():
        return model(**batch).logits[:, -1].clone()


def test_additive_hook_moves_logits_along_the_vector_and_is_removed(tiny, examples):
    model, processor = tiny
    batch = move_batch(ChatCollator(processor, with_response=False)(examples[:1]), model)
    layers = decoder_layers(model)
    hidden = unembedding(model).in_features
    v = torch.nn.functional.normalize(torch.randn(hidden, generator=torch.Generator().manual_seed(0)), dim=0)
    vector = st.SteeringVector(vector=v, layer=len(layers) - 1, method="contrast")
    # the logit direction of v: through the final RMSNorm's gain, then the unembedding
    u = unembedding(model).weight @ (language_model(model).norm.weight * v)
    up, down = int(u.argmax()), int(u.argmin())

    before = _last_logits(model, batch)
    gaps = []
    for c in (-8.0, 0.0, 8.0):
        with st.apply_steering(model, vector, coefficient=c):
            logits = _last_logits(model, batch)
        gaps.append(float(logits[0, up] - logits[0, down]))
    after = _last_logits(model, batch)
    assert gaps[0] < gaps[1] < gaps[2]
    assert gaps[2] - gaps[1] > 0.1
    assert gaps[1] == pytest.approx(float(before[0, up] - before[0, down]), abs=1e-5)
    assert torch.equal(before, after)
    assert all(not layer._forward_hooks and not layer._forward_pre_hooks for layer in layers)


def test_ablation_removes_the_direction_from_every_layer(tiny, examples):
    model, processor = tiny
    refuse, comply = fit.contrast_classes(examples)
    hs_r = st.collect_hidden_states(model, processor, refuse)
    hs_c = st.collect_hidden_states(model, processor, comply)
    vector = st.SteeringVector(vector=fit.diff_of_means(hs_r[0], hs_c[0]), layer=0, method="contrast", mode="ablate")
    plain = st.collect_hidden_states(model, processor, refuse)
    assert (plain @ vector.unit).abs().max() > 1e-3
    with st.apply_steering(model, vector):
        ablated = st.collect_hidden_states(model, processor, refuse)
    assert (ablated @ vector.unit).abs().max() < 1e-5
    assert torch.equal(st.collect_hidden_states(model, processor, refuse), plain)


def test_fit_save_load_roundtrip(tiny, examples, tmp_path):
    model, processor = tiny
    refuse, comply = fit.contrast_classes(examples)
    vec = fit.fit_steering_vector(model, processor, refuse, comply, method="contrast", coefficient=-2.0)
    n_layers = len(decoder_layers(model))
    assert 0 <= vec.layer < n_layers and set(vec.layer_scores) == set(range(n_layers))
    assert vec.n_per_class == {"refuse": 3, "comply": 3}
    hs_r = st.collect_hidden_states(model, processor, refuse)
    hs_c = st.collect_hidden_states(model, processor, comply)
    assert torch.allclose(vec.vector, fit.diff_of_means(hs_r[vec.layer], hs_c[vec.layer]))

    path = vec.save(tmp_path / "refusal")
    assert path.suffix == ".safetensors"
    loaded = st.SteeringVector.load(path)
    assert torch.equal(loaded.vector, vec.vector)
    assert loaded.metadata() == vec.metadata()
    sidecar = json.loads(path.with_suffix(".json").read_text())
    assert sidecar["layer"] == vec.layer and sidecar["coefficient"] == -2.0 and sidecar["model_id"]
    with pytest.raises(AorgenError):
        st.SteeringVector.load(path.with_suffix(".json"))
    assert loaded.tag() == vec.tag() and loaded.tag().startswith(f"steer-contrast-add-L{vec.layer}-c-2-")
    assert vec.tag(coefficient=1.0) != vec.tag()


def test_response_mean_position_and_judged_classes(tiny, examples):
    model, processor = tiny
    refused = {e.id: e.label != "benign_control" for e in examples if e.label != "pseudo_harmful"}
    responses = {e.id: "I'm sorry, I can't." if refused[e.id] else "Sure!" for e in examples if e.id in refused}
    refuse, comply = fit.judged_classes(examples, refused, responses)
    assert {e.label for e in refuse} == {"harmful_contrast"}
    assert {e.label for e in comply} == {"benign_control"}
    assert all(e.target == responses[e.id] for e in refuse + comply)
    hs = st.collect_hidden_states(model, processor, refuse, position="response_mean")
    assert hs.shape == (len(decoder_layers(model)), 3, unembedding(model).in_features)
    assert not torch.allclose(hs, st.collect_hidden_states(model, processor, refuse))


def test_vector_of_the_wrong_size_is_rejected(tiny):
    model, _ = tiny
    with pytest.raises(AorgenError, match="hidden size"):
        with st.apply_steering(model, st.SteeringVector(vector=torch.ones(3), layer=0, method="contrast")):
            pass
