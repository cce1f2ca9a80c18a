"""Arditi-style causal selection, the over-refusal direction orthogonal to refusal, and
SARSteer per-layer vectors (tiny Qwen2-Audio)."""

from __future__ import annotations

import csv
import json
import math

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from aorgen.errors import AorgenError  # noqa: E402
from aorgen.mitigate import arditi, overrefusal, sarsteer  # noqa: E402
from aorgen.mitigate import fit_vector as fit  # noqa: E402
from aorgen.mitigate import steering as st  # noqa: E402
from aorgen.mitigate.model import decoder_layers, load_model_and_processor, unembedding  # noqa: E402
from aorgen.mitigate.refusal import batch_logits, refusal_score, refusal_token_ids  # noqa: E402
from aorgen.mitigate.training import ChatCollator, load_examples, move_batch  # noqa: E402
from aorgen.testing.tiny_dataset import build_tiny_dataset  # noqa: E402
from aorgen.testing.tiny_models import build_tiny_qwen2_audio  # noqa: E402


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory):
    return build_tiny_qwen2_audio(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def tiny(tiny_path):
    return load_model_and_processor(tiny_path, dtype="fp32")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return build_tiny_dataset(tmp_path_factory.mktemp("ds"), rows_per_label=4)


@pytest.fixture(scope="module")
def examples(dataset):
    return load_examples(dataset, split="train")


def _label(examples, label):
    return [e for e in examples if e.label == label]


# ------------------------------------------------------------------ Arditi


def test_post_instruction_positions_are_the_template_after_the_user_turn(tiny, examples):
    _, processor = tiny
    collator = ChatCollator(processor, with_response=False)
    ids = arditi.post_instruction_tokens(collator, examples[0])
    assert processor.tokenizer.decode(ids) == "<|im_end|>\n<|im_start|>assistant\n"
    assert collator.text(examples[0]).endswith(processor.tokenizer.decode(ids))


def test_candidates_are_means_per_layer_and_position(tiny, examples):
    model, processor = tiny
    harmful, harmless = _label(examples, "harmful_contrast"), _label(examples, "benign_control")
    directions, tokens = arditi.candidate_directions(model, processor, harmful, harmless, batch_size=3)
    n_layers, hidden = len(decoder_layers(model)), unembedding(model).in_features
    assert directions.shape == (n_layers, len(tokens), hidden) and tokens[0] == "<|im_end|>"
    last = fit.diff_of_means(st.collect_hidden_states(model, processor, harmful),
                            st.collect_hidden_states(model, processor, harmless))
    assert torch.allclose(directions[:, -1], last, atol=1e-5)
    assert (directions[:, 0] - directions[:, -1]).norm() > 0.05 * directions[:, -1].norm()  # positions differ


def test_filters_follow_the_reference():
    config = arditi.ArditiConfig()
    row = {"layer": 3, "bypass": -2.0, "induce": 0.5, "kl": 0.05}
    assert arditi._filter_reason(row, 10, config) == ""
    assert arditi._filter_reason({**row, "layer": 8}, 10, config) == "pruned layer"
    assert arditi._filter_reason({**row, "kl": 0.2}, 10, config) == "kl above threshold"
    assert arditi._filter_reason({**row, "induce": -0.1}, 10, config) == "induce below threshold"
    assert arditi._filter_reason({**row, "bypass": math.nan}, 10, config) == "nan"
    rows = [{"layer": 1, "position": -1, "bypass": -1.0, "kept": True},
            {"layer": 2, "position": -2, "bypass": -3.0, "kept": True},
            {"layer": 0, "position": -1, "bypass": -9.0, "kept": False, "reason": "kl above threshold"}]
    assert arditi.select_candidate(rows)["layer"] == 2
    with pytest.raises(AorgenError, match="filtered out"):
        arditi.select_candidate([{**rows[2]}])


def test_ablation_clears_the_direction_inside_every_layer(tiny, examples):
    model, processor = tiny
    hidden = unembedding(model).in_features
    v = torch.randn(hidden, generator=torch.Generator().manual_seed(3))
    vector = st.SteeringVector(vector=v, layer=0, method="arditi", mode="ablate")
    seen = []
    layer = decoder_layers(model)[1]
    batch = move_batch(ChatCollator(processor, with_response=False)(examples[:2]), model)
    with st.apply_steering(model, vector):
        handle = layer.mlp.register_forward_hook(lambda m, a, out: seen.append(out))
        with torch.no_grad():
            model(**batch)
        handle.remove()
    assert (seen[0] @ vector.unit).abs().max() < 1e-5
    with torch.no_grad():  # without the hook the MLP writes along v
        handle = layer.mlp.register_forward_hook(lambda m, a, out: seen.append(out))
        model(**batch)
        handle.remove()
    assert (seen[1] @ vector.unit).abs().max() > 1e-3


def test_fit_arditi_scores_every_candidate_and_writes_the_table(tiny, examples, tmp_path):
    model, processor = tiny
    harmful, harmless = _label(examples, "harmful_contrast"), _label(examples, "benign_control")
    config = arditi.ArditiConfig(kl_threshold=None, induce_threshold=None, held_out=0.5)
    vector, rows = arditi.fit_arditi(model, processor, harmful, harmless, config)
    n_layers = len(decoder_layers(model))
    n_pos = len(arditi.post_instruction_tokens(ChatCollator(processor, with_response=False), examples[0]))
    assert len(rows) == n_layers * n_pos and n_pos >= 3
    kept = [r for r in rows if r["kept"]]
    assert kept and all(r["layer"] < int(0.8 * n_layers) for r in kept)
    assert all(r["reason"] == "pruned layer" for r in rows if r["layer"] >= int(0.8 * n_layers))
    best = min(kept, key=lambda r: r["bypass"])
    assert vector.layer == best["layer"] and vector.position == f"post_instruction{best['position']}"
    assert vector.mode == "ablate"
    # the bypass score is the harmful refusal score with the chosen direction ablated
    baseline = vector.details["baseline"]["harmful"]
    assert any(abs(r["bypass"] - baseline) > 1e-4 for r in kept)

    path = vector.save(tmp_path / "refusal")
    csv_path, json_path = arditi.write_table(rows, path)
    assert csv_path.name == "refusal.selection.csv" and json_path.parent == path.parent
    table = list(csv.DictReader(csv_path.open()))
    assert len(table) == len(rows) and set(table[0]) == set(arditi.TABLE_FIELDS)
    assert len(json.loads(json_path.read_text())) == len(rows)
    assert st.SteeringVector.load(path).details["token"] == best["token"]


# ------------------------------------------------------------------ over-refusal


def test_orthogonalize_removes_exactly_the_shared_component():
    r = torch.tensor([1.0, 0.0, 0.0])
    assert torch.allclose(overrefusal.orthogonalize(torch.tensor([2.0, 3.0, 0.0]), r), torch.tensor([0.0, 3.0, 0.0]))
    v = torch.tensor([0.0, 1.0, -2.0])
    assert torch.equal(overrefusal.orthogonalize(v, r), v)


def _scores(model, processor, rows, token_ids):
    batch = [move_batch(ChatCollator(processor, with_response=False)(rows), model)]
    return refusal_score(batch_logits(model, batch), token_ids)


def test_clamp_moves_pseudo_harmful_refusal_more_than_harmful(tiny, examples):
    model, processor = tiny
    layer = len(decoder_layers(model)) - 1
    token_ids = refusal_token_ids(processor.tokenizer)
    pseudo, harmful = _label(examples, "pseudo_harmful"), _label(examples, "harmful_contrast")
    ortho = overrefusal.fit_over_refusal(model, processor, examples, layer=layer)
    plain = overrefusal.fit_over_refusal(model, processor, examples, layer=layer, orthogonal=False)
    assert abs(ortho.details["cos_over_refusal_vs_refusal"]) > 0.05  # the two directions do overlap

    # harmful inputs' mean projection on the orthogonal direction is the benign one: not moved on average
    hs_h = st.collect_hidden_states(model, processor, harmful)[layer]
    assert float(hs_h.mean(0) @ ortho.unit) == pytest.approx(ortho.offset, abs=1e-4)
    assert abs(float(hs_h.mean(0) @ plain.unit) - plain.offset) > 1e-3

    before = {k: _scores(model, processor, rows, token_ids) for k, rows in (("p", pseudo), ("h", harmful))}
    moved = {}
    for name, vec in (("ortho", ortho), ("plain", plain)):
        with st.apply_steering(model, vec):
            moved[name] = {k: (_scores(model, processor, rows, token_ids) - before[k]).abs().mean().item()
                           for k, rows in (("p", pseudo), ("h", harmful))}
    assert moved["ortho"]["p"] > 2 * moved["ortho"]["h"]
    assert moved["ortho"]["h"] < moved["plain"]["h"]


# ------------------------------------------------------------------ SARSteer


def test_safe_basis_spans_the_benign_variance_and_is_projected_out():
    g = torch.Generator().manual_seed(0)
    states = torch.zeros(50, 6)
    states[:, 1] = 5 * torch.randn(50, generator=g)
    states[:, 4] = 3 * torch.randn(50, generator=g)
    basis = sarsteer.safe_basis(states, 2)
    assert basis.shape == (6, 2)
    expected = torch.zeros(6, 6)
    expected[1, 1] = expected[4, 4] = 1.0
    assert torch.allclose(basis @ basis.T, expected, atol=1e-5)  # spans exactly the two varying axes
    d = torch.tensor([1.0, 2.0, 3.0, 0.0, 5.0, 6.0])
    assert torch.allclose(sarsteer.project_out(d, basis), torch.tensor([1.0, 0.0, 3.0, 0.0, 0.0, 6.0]), atol=1e-5)
    assert torch.allclose(sarsteer.project_out(d, basis, 0.5), torch.tensor([1.0, 1.0, 3.0, 0.0, 2.5, 6.0]),
                          atol=1e-5)


def test_sarsteer_vectors_per_layer_and_last_position_hook(tiny, examples, tmp_path):
    model, processor = tiny
    harmful = _label(examples, "harmful_contrast")
    safe = [e for e in examples if e.label in sarsteer.SAFE_LABELS]
    vec = sarsteer.fit_sarsteer(model, processor, harmful, safe, k=3)
    n_layers, hidden = len(decoder_layers(model)), unembedding(model).in_features
    assert vec.vector.shape == (n_layers, hidden) and vec.layers == list(range(n_layers))
    assert vec.coefficient == sarsteer.DEFAULT_ALPHA and vec.details["k"] == 3
    benign = st.collect_hidden_states(model, processor, safe)
    for i in range(n_layers):
        basis = sarsteer.safe_basis(benign[i], 3)
        assert (basis.T @ vec.vector[i]).abs().max() < 1e-3 * vec.vector[i].norm()
    unprojected = sarsteer.fit_sarsteer(model, processor, harmful, safe, k=0, layers=[1])
    assert unprojected.layers == [1] and not torch.allclose(unprojected.vector[0], vec.vector[1])

    seen = []  # the input of layer 1 = the output of layer 0 after the steering hook

    def grab(module, args, kwargs):
        seen.append((args[0] if args else kwargs["hidden_states"]).clone())

    handle = decoder_layers(model)[1].register_forward_pre_hook(grab, with_kwargs=True)
    batch = move_batch(ChatCollator(processor, with_response=False)(examples[:1]), model)
    try:
        with torch.no_grad():
            model(**batch)
            with st.apply_steering(model, vec, coefficient=2.0):
                model(**batch)
    finally:
        handle.remove()
    change = seen[1] - seen[0]
    assert torch.allclose(change[0, -1], 2.0 * vec.vector[0], atol=1e-5)  # last position: + alpha * v[0]
    assert change[0, :-1].abs().max() == 0  # earlier positions untouched
    path = vec.save(tmp_path / "sar")
    loaded = st.SteeringVector.load(path)
    assert torch.equal(loaded.vector, vec.vector) and loaded.layers == vec.layers and loaded.mode == "sarsteer"
    with pytest.raises(AorgenError, match="one vector per layer"):
        with st.apply_steering(model, st.SteeringVector(vector=vec.vector[0], layer=0, method="x", mode="sarsteer")):
            pass


def test_cli_fits_arditi_then_an_orthogonal_over_refusal_vector(tiny_path, dataset, tmp_path):
    from click.testing import CliRunner

    from aorgen.cli import main

    runner = CliRunner()
    out = tmp_path / "refusal.safetensors"
    common = ["steer", "fit", "--dataset", str(dataset), "--model", str(tiny_path), "--dtype", "fp32"]
    result = runner.invoke(main, [*common, "--out", str(out), "--method", "arditi", "--kl-threshold", "100",
                                  "--induce-threshold", "-100"])
    assert result.exit_code == 0, result.output
    refusal = st.SteeringVector.load(out)
    assert refusal.method == "arditi" and refusal.details["table"] == "refusal.selection.csv"
    assert (tmp_path / "refusal.selection.csv").is_file() and (tmp_path / "refusal.selection.json").is_file()

    over = tmp_path / "over.safetensors"
    result = runner.invoke(main, [*common, "--out", str(over), "--method", "overrefusal", "--refusal", str(out)])
    assert result.exit_code == 0, result.output
    vec = st.SteeringVector.load(over)
    assert vec.layer == refusal.layer and vec.mode == "clamp" and vec.details["refusal_source"] == "given"
    assert abs(float(vec.vector @ refusal.unit)) < 1e-4 * float(vec.vector.norm())

    result = runner.invoke(main, [*common, "--out", str(tmp_path / "sar"), "--method", "sarsteer", "--layers", "x"])
    assert result.exit_code == 2 and "--layers" in result.output
