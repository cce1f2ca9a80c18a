"""The content-addressed generation cache never serves a stale answer: the four ways
it used to (issue 17), one run folder per configuration, shards that merge into exactly
the one-process result, and the stratified ``--limit``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from tests.evaluate.test_pipeline import ROWS_PER_LABEL, make_dataset, read_generations

from aorgen.errors import AorgenError
from aorgen.evaluate.samples import load_eval_dataset
from aorgen.evaluate.metrics import load_results
from aorgen.evaluate.models import get_adapter
from aorgen.evaluate.records import GenerationOptions
from aorgen.evaluate.run import merge_shards, run_eval
from aorgen.mitigate.apply import run_mitigated_eval
from aorgen.testing.tiny_models import build_tiny_qwen2_audio

OPTS = GenerationOptions(max_new_tokens=3)
KW = dict(conditions=["audio"], batch_size=4, generation=OPTS, progress=False, labels=["pseudo_harmful"])


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return build_tiny_qwen2_audio(tmp_path_factory.mktemp("m") / "tiny-qwen2-audio")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("ds"))


def _save_lora(model_path: Path, out: Path, seed: int) -> Path:
    from peft import LoraConfig, get_peft_model

    model = get_adapter("qwen2_audio", str(model_path)).model
    torch.manual_seed(seed)
    peft = get_peft_model(model, LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj"],
                                            init_lora_weights=False))
    peft.save_pretrained(str(out))
    return out


def test_retrained_lora_at_the_same_path_is_not_served_from_the_cache(tiny_model, dataset, tmp_path):
    lora = _save_lora(tiny_model, tmp_path / "adapter", seed=0)
    first = run_mitigated_eval(dataset, str(tiny_model), lora=lora, out=tmp_path / "runs", name="lora", **KW)
    assert first.generated == {"audio": ROWS_PER_LABEL}
    recorded = json.loads((first.run_dir / "run.json").read_text())["mitigation"]["lora"]
    _save_lora(tiny_model, lora, seed=1)  # retrained, saved at the same path
    with pytest.raises(AorgenError, match="differs in: .*mitigation"):
        run_mitigated_eval(dataset, str(tiny_model), lora=lora, out=tmp_path / "runs", name="lora", **KW)
    again = run_mitigated_eval(dataset, str(tiny_model), lora=lora, out=tmp_path / "runs", name="lora2", **KW)
    assert again.generated == {"audio": ROWS_PER_LABEL} and again.cached == {}
    assert json.loads((again.run_dir / "run.json").read_text())["mitigation"]["lora"]["hash"] != recorded["hash"]


def test_steering_into_the_base_runs_name_is_refused(tiny_model, dataset, tmp_path):
    from aorgen.mitigate.steering import SteeringVector

    base = run_eval(dataset, str(tiny_model), out=tmp_path, name="base", **KW)
    assert base.generated == {"audio": ROWS_PER_LABEL}
    hidden = get_adapter("qwen2_audio", str(tiny_model)).model.config.text_config.hidden_size
    vec = SteeringVector(vector=torch.ones(hidden), layer=0, method="contrast").save(tmp_path / "v.safetensors")
    with pytest.raises(AorgenError, match="differs in: mitigation"):
        run_mitigated_eval(dataset, str(tiny_model), steer=vec, coefficient=-2.0, out=tmp_path, name="base", **KW)
    steered = run_mitigated_eval(dataset, str(tiny_model), steer=vec, coefficient=-2.0, out=tmp_path, **KW)
    run = json.loads((steered.run_dir / "run.json").read_text())
    assert steered.generated == {"audio": ROWS_PER_LABEL}
    assert run["mitigation"]["steer"]["coefficient"] == -2.0 and run["mitigation"]["steer"]["method"] == "contrast"


def test_another_dtype_is_another_configuration(tiny_model, dataset, tmp_path):
    run_eval(dataset, str(tiny_model), out=tmp_path, name="r", dtype="fp32", **KW)
    with pytest.raises(AorgenError, match="differs in: dtype"):
        run_eval(dataset, str(tiny_model), out=tmp_path, name="r", dtype="bf16", **KW)
    assert json.loads((tmp_path / "r" / "run.json").read_text())["dtype"] == "fp32"
    bf16 = run_eval(dataset, str(tiny_model), out=tmp_path, name="r-bf16", dtype="bf16", **KW)
    assert bf16.generated == {"audio": ROWS_PER_LABEL} and bf16.cached == {}


def test_rebuilt_dataset_with_the_same_ids_is_generated_again(tiny_model, tmp_path):
    adapter = get_adapter("qwen2_audio", str(tiny_model))
    ds = make_dataset(tmp_path / "ds", seed=0)
    kw = {**KW, "model_adapter": adapter, "out": tmp_path / "runs"}
    first = run_eval(ds, str(tiny_model), **kw)
    assert run_eval(ds, str(tiny_model), **kw).cached == {"audio": ROWS_PER_LABEL}  # same audio: cached
    make_dataset(tmp_path / "ds", seed=1)  # rebuilt: same ids, other audio
    second = run_eval(ds, str(tiny_model), **kw)
    assert second.generated == {"audio": ROWS_PER_LABEL} and second.cached == {}
    gens = read_generations(first.run_dir)
    assert len(gens) == 2 * ROWS_PER_LABEL and len({g["audio_hash"] for g in gens}) == 2 * ROWS_PER_LABEL
    df = load_results(first.run_dir)  # nothing pooled: one generation per sample and condition, the new one
    assert len(df) == ROWS_PER_LABEL and set(df["audio_hash"]) == {g["audio_hash"] for g in gens[ROWS_PER_LABEL:]}


def test_shards_merge_into_the_one_process_result(tiny_model, dataset, tmp_path):
    adapter = get_adapter("qwen2_audio", str(tiny_model))
    kw = {**KW, "labels": None, "conditions": ["audio", "text"], "model_adapter": adapter}
    whole = run_eval(dataset, str(tiny_model), out=tmp_path / "one", name="r", **kw)
    for i in range(2):
        part = run_eval(dataset, str(tiny_model), out=tmp_path / "dp", name="r", shard=(i, 2), **kw)
        assert part.run_dir == tmp_path / "dp" / "r" / "shards" / f"{i}-of-2"
    with pytest.raises(AorgenError, match="no shards"):
        merge_shards(tmp_path / "one" / "r")
    assert merge_shards(tmp_path / "dp" / "r") == 2 * 3 * ROWS_PER_LABEL
    want = {g["key"]: g["response"] for g in read_generations(whole.run_dir)}
    assert {g["key"]: g["response"] for g in read_generations(tmp_path / "dp" / "r")} == want
    assert merge_shards(tmp_path / "dp" / "r") == 0  # idempotent


def test_limit_is_a_seeded_stratified_sample(dataset):
    picks = [load_eval_dataset(dataset, limit=2, limit_seed=s).samples for s in (0, 0, 1, 2, 3)]
    assert [s.id for s in picks[0]] == [s.id for s in picks[1]]  # fixed seed: same sample
    for samples in picks:
        for label in {s.label for s in samples}:
            cats = [s.category for s in samples if s.label == label]
            assert len(cats) == 2 and len(set(cats)) == 2  # one per category before any repeats
    assert len({tuple(s.id for s in p) for p in picks}) > 1  # the seed matters
