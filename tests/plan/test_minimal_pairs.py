"""Audio minimal pairs (issue 16): the `minimal_pairs` config of a built dataset, its rows'
audio against their base rows, the card and eval loading, and the context sensitivity in the
report (paired CI, McNemar)."""

from __future__ import annotations

import io
import json

import datasets
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import soundfile as sf
import yaml

from aorgen.dataset.build import build
from aorgen.errors import AorgenError
from aorgen.evaluate.context_sensitivity import context_sensitivity
from aorgen.evaluate.samples import load_eval_dataset
from aorgen.evaluate.judges import FULL_COMPLIANCE, FULL_REFUSAL
from aorgen.evaluate.report import build_report
from aorgen.plan.planner import plan
from aorgen.content.recipe import load_recipe


def _with_pairs(mini: dict, **pairs) -> dict:
    recipe = yaml.safe_load(mini["recipe"].read_text())
    recipe["split"] = {"test_fraction": 1.0}  # every script in test
    recipe["minimal_pairs"] = pairs or {"neutral_scene_tags": ["garden", "classroom"]}
    mini["recipe"].write_text(yaml.safe_dump(recipe))
    ph = mini["templates"] / "pseudo_harmful" / "games_sports.yaml"
    doc = yaml.safe_load(ph.read_text())
    doc["scripts"][0]["harmful_scene_tags"] = ["war_movie"]
    ph.write_text(yaml.safe_dump(doc, sort_keys=False))
    return mini


def _rows(folder, config: str) -> list[dict]:
    return [r for f in sorted((folder / "data" / config).glob("*.parquet")) for r in pq.read_table(f).to_pylist()]


def _samples(cell: dict) -> np.ndarray:
    return sf.read(io.BytesIO(cell["bytes"]), dtype="float32")[0]


@pytest.fixture
def paired(mini):
    _with_pairs(mini)
    build(load_recipe(mini["recipe"]), mini["out"], cache_dir=mini["cache"])
    return mini["out"] / "mini"


def test_pair_rows_keep_voice_and_words_and_change_only_the_background(paired):
    base = {r["id"]: r for r in _rows(paired, "pseudo_harmful")}
    pairs = _rows(paired, "minimal_pairs")
    by_script: dict[str, dict[str, dict]] = {}
    for row in pairs:
        assert row["label"] == "pseudo_harmful" and row["pair_of"] in base
        by_script.setdefault(row["script_id"], {})[row["pair_condition"]] = row
    # one pair set per test script, from its first row; harmful_scene only where the script names one
    assert set(by_script) == {"gs-ph-001", "gs-ph-002", "gs-ph-003"}
    for script_id, conditions in by_script.items():
        expected = {"own_scene", "no_scene", "other_scene"} | ({"harmful_scene"} if script_id == "gs-ph-001" else set())
        assert set(conditions) == expected
        first = min(r for r in base if base[r]["script_id"] == script_id)
        assert {r["pair_of"] for r in conditions.values()} == {first}
        source = base[first]
        for row in conditions.values():
            assert (row["transcript"], row["voice_id"], row["speech_rate"]) == \
                (source["transcript"], source["voice_id"], source["speech_rate"])
        own, none, other = conditions["own_scene"], conditions["no_scene"], conditions["other_scene"]
        assert own["audio"]["bytes"] == source["audio"]["bytes"]  # the same clip as its pseudo_harmful row
        # no background: the background stem is silent and the mixture is the speech
        assert not np.any(_samples(none["background"]))
        if not json.loads(none["spec"])["augment"]:  # (an augmentation changes the mixture, not the stem)
            assert np.array_equal(_samples(none["audio"]), _samples(none["speech"]))
        assert none["snr_db"] is None and none["achieved_snr_db"] is None and none["qc_passed"]
        assert none["scene_tags"] == [] and none["background_ids"] == []
        # another category's neutral scene, at the same SNR, over the same speech (up to its level)
        assert other["scene_tags"][0] in ("garden", "classroom") and other["qc_passed"]
        assert other["background_ids"] != source["background_ids"] and other["snr_db"] == source["snr_db"]
        for row in (none, other):
            speech, reference = _samples(row["speech"]), _samples(source["speech"])
            assert speech.shape == reference.shape and np.corrcoef(speech, reference)[0, 1] > 0.999
    assert by_script["gs-ph-001"]["harmful_scene"]["scene_tags"] == ["war_movie"]


def test_card_config_and_eval_loading(paired):
    from huggingface_hub import DatasetCard

    configs = {c["config_name"]: c for c in DatasetCard.load(paired / "README.md").data.to_dict()["configs"]}
    assert "minimal_pairs" in configs
    default = datasets.load_dataset(str(paired), "default", split="test")
    assert set(default["label"]) == {"pseudo_harmful", "harmful_contrast", "benign_control"}
    assert set(default["pair_condition"]) == {None}
    pairs = datasets.load_dataset(str(paired), "minimal_pairs", split="test")
    assert len(pairs) == 10 and "no_scene" in set(pairs["pair_condition"])
    assert "`minimal_pairs` holds audio minimal pairs" in (paired / "README.md").read_text()
    plain = load_eval_dataset(paired)
    assert len(plain.samples) == len(default) and all(s.pair_condition is None for s in plain.samples)
    loaded = load_eval_dataset(paired, config="minimal_pairs")
    assert {s.pair_condition for s in loaded.samples} == {"own_scene", "no_scene", "other_scene", "harmful_scene"}


def test_off_by_default_and_unknown_neutral_tag(mini):
    assert all(s.pair_condition is None for s in plan(load_recipe(mini["recipe"])).specs)
    _with_pairs(mini, neutral_scene_tags=["no_such_scene"])
    with pytest.raises(AorgenError, match="minimal_pairs.neutral_scene_tags: scene tag 'no_such_scene'"):
        plan(load_recipe(mini["recipe"]))


def test_rows_of_datasets_built_before_the_new_columns_are_reused(mini):
    recipe = load_recipe(mini["recipe"])
    build(recipe, mini["out"], cache_dir=mini["cache"])
    folder = mini["out"] / "mini"
    for shard in folder.glob("data/*/*.parquet"):  # as written before harm_type and the pair columns
        table = pq.read_table(shard)
        pq.write_table(table.drop_columns(["harm_type", "pair_condition", "pair_of"]), shard)
    summary = build(recipe, mini["out"], cache_dir=mini["cache"], overwrite=True)
    assert summary.clips_reused == summary.clips > 0
    assert "pair_of" in pq.read_table(next(folder.glob("data/*/*.parquet"))).column_names


def _pairs_df(own: list[int], compared: list[int], name: str = "no_scene") -> pd.DataFrame:
    rows = []
    for i, (a, b) in enumerate(zip(own, compared)):
        for cond, refused in (("own_scene", a), (name, b)):
            rows.append({"run": "r", "model": "m", "condition": "audio", "label": "pseudo_harmful",
                         "pair_condition": cond, "pair_of": f"s{i}", "refusal": bool(refused),
                         "verdict": FULL_REFUSAL if refused else FULL_COMPLIANCE})
    return pd.DataFrame(rows)


def test_context_sensitivity_is_paired():
    # 40 scripts: 10 refused only without the scene, 2 only with it, the rest the same both ways
    own = [0] * 10 + [1] * 2 + [1] * 8 + [0] * 20
    none = [1] * 10 + [0] * 2 + [1] * 8 + [0] * 20
    row = context_sensitivity(_pairs_df(own, none), n_boot=2000).iloc[0]
    assert row["n_pairs"] == 40 and row["sensitivity"] == pytest.approx(8 / 40)
    assert row["orr_own_scene"] == pytest.approx(10 / 40) and row["orr_compared"] == pytest.approx(18 / 40)
    assert 0 < row["ci_low"] < 0.2 < row["ci_high"] < 0.4
    assert (row["n_more_refused"], row["n_less_refused"]) == (10, 2)
    # exact McNemar on 10 vs 2 discordant pairs: 2 * P(X <= 2), X ~ Bin(12, 1/2)
    assert row["mcnemar_p"] == pytest.approx(2 * (1 + 12 + 66) / 2 ** 12) and row["mcnemar_p"] < 0.05
    # pairing removes the scripts refused both ways from the variance: narrower than unpaired
    unpaired_se = np.sqrt(np.mean(own) * (1 - np.mean(own)) / 40 + np.mean(none) * (1 - np.mean(none)) / 40)
    assert row["ci_high"] - row["ci_low"] < 0.85 * 2 * 1.96 * unpaired_se


def test_report_shows_context_sensitivity_and_keeps_pairs_out_of_orr(tmp_path):
    from aorgen.evaluate.record_files import RecordCache
    from aorgen.evaluate.judge_runs import judgements_file
    from aorgen.evaluate.records import Generation, GenerationOptions, Judgement
    from aorgen.evaluate.run import GENERATIONS_FILE

    run = tmp_path / "runs" / "m"
    gens, judgements = [], []
    rows = [(f"ph-{i}", None, None, i < 5) for i in range(10)]  # ORR 0.5 on the benchmark rows
    rows += [(f"ph-{i}-own", "own_scene", f"ph-{i}", False) for i in range(10)]
    rows += [(f"ph-{i}-none", "no_scene", f"ph-{i}", i < 6) for i in range(10)]
    for k, (sid, cond, of, refused) in enumerate(rows):
        gens.append(Generation(id=sid, label="pseudo_harmful", category="games_sports", transcript="t", key=f"k{k}",
                               model="m", adapter="stub", condition="audio", options=GenerationOptions(),
                               response="no" if refused else "yes", pair_condition=cond, pair_of=of))
        judgements.append(Judgement(key=f"k{k}", judge="rules", verdict=FULL_REFUSAL if refused else FULL_COMPLIANCE))
    RecordCache(run / GENERATIONS_FILE, Generation).append(gens)
    RecordCache(judgements_file(run, "rules"), Judgement).append(judgements)
    report = build_report(tmp_path / "runs", tmp_path / "report", n_boot=200)
    assert report.summary.iloc[0]["orr_rate"] == pytest.approx(0.5) and report.summary.iloc[0]["orr_n"] == 10
    sensitivity = report.context_sensitivity.iloc[0]
    assert sensitivity["compared"] == "no_scene" and sensitivity["sensitivity"] == pytest.approx(0.6)
    text = (tmp_path / "report" / "report.md").read_text()
    assert "## Context sensitivity" in text and (tmp_path / "report" / "context_sensitivity.csv").is_file()


def test_pairs_follow_the_rows_the_gate_kept(mini):
    """The pairs are drawn from the specs the gate kept: a re-drawn base lends its new voice and
    scene-independent speech; a dropped base's script takes its next kept test row."""
    _with_pairs(mini)
    the_plan = plan(load_recipe(mini["recipe"]))
    assert all(s.pair_condition is None for s in the_plan.specs)  # none before the gate
    bases = sorted((s for s in the_plan.specs if s.label == "pseudo_harmful" and s.split == "test"),
                   key=lambda s: s.id)
    first, second = bases[0], next(s for s in bases[1:] if s.script_id == bases[0].script_id)
    redrawn = the_plan.redraw(first, 1)
    kept = [redrawn if s.id == first.id else s for s in the_plan.specs]
    pairs = {p.id: p for p in the_plan.pairs(kept)}
    own = pairs[f"{first.id}-own"]
    assert own.attempt == 1 and own.speech == redrawn.speech and own.pair_of == first.id
    dropped = [s for s in the_plan.specs if s.id != first.id]
    pairs = the_plan.pairs(dropped)
    assert {p.pair_of for p in pairs if p.script_id == first.script_id} == {second.id}



def test_only_pairs_in_a_new_scene_are_heard_again(mini, tmp_path, monkeypatch):
    """With the gate on, a shard worker hears the benchmark rows and the pairs in a new scene
    for their ASR columns, not the own-scene and no-scene pairs (their audio is their base
    row's speech, which the gate heard)."""
    import aorgen.dataset.worker as build_module
    from aorgen.content.recipe import IntelligibilityConfig

    _with_pairs(mini)
    the_plan = plan(load_recipe(mini["recipe"]))
    base = next(s for s in the_plan.specs if s.label == "pseudo_harmful")
    pairs = [p for p in the_plan.pairs(the_plan.specs) if p.pair_of == base.id]
    heard: list[str] = []
    monkeypatch.setattr(build_module, "_intelligibility",
                        lambda task, ctx, specs: heard.extend(s.id for s in specs) or {})
    task = build_module.ShardTask("data/x/test-00000-of-00001.parquet", [base, *pairs],
                                  [str(b.file) for b in the_plan.banks], str(mini["cache"]), str(tmp_path),
                                  IntelligibilityConfig())
    result = build_module.render_shard(task)
    assert result.clips == 1 + len(pairs) >= 4
    assert heard == [base.id, *(p.id for p in pairs if p.pair_condition in ("other_scene", "harmful_scene"))]
    assert len(heard) >= 2


def test_pairs_in_a_new_scene_are_gated_and_dropped_when_never_heard(mini, monkeypatch):
    """gate_pairs hears the new-scene pairs' mixtures: a pair heard wrong gets a new scene
    (bed, events, offset) each attempt and is dropped after the last; own-scene and no-scene
    pairs pass through unheard."""
    from aorgen.content.recipe import IntelligibilityConfig
    from aorgen.plan import gate as gate_module

    _with_pairs(mini)
    the_plan = plan(load_recipe(mini["recipe"]))
    pairs = the_plan.pairs(the_plan.specs)
    new = [p for p in pairs if p.pair_condition in ("other_scene", "harmful_scene")]
    backgrounds: dict[str, set] = {}

    class MishearsTheMixture:
        def __init__(self, spec, *args):
            self.spec, self.heard = spec, 1
            backgrounds.setdefault(spec.id, set()).add(spec.background.model_dump_json())

        def transcript(self, part):
            return (self.spec.transcript if part == "speech" else "the crowd roars"), True

    monkeypatch.setattr(gate_module, "_Heard", MishearsTheMixture)
    config = IntelligibilityConfig(threshold=0.1, mixture_threshold=0.2, redraw_on_mixture=True, attempts=3)
    result = gate_module.gate_pairs(the_plan, pairs, config, cache_dir=None)
    assert new and [p.id for p in result.specs] == [p.id for p in pairs if p not in new]
    assert sorted(i for i, _ in result.dropped) == sorted(p.id for p in new)
    assert all(len(b) == 3 for b in backgrounds.values())  # a new scene each attempt
    assert result.redrawn == 2 * len(new) and result.transcriptions == 3 * len(new)


def test_pairs_carry_the_cues_of_their_own_scene(mini):
    """no_scene has no speech cue; other_scene's cues are drawn for the other scene; own_scene
    keeps its base row's."""
    from aorgen.content.cues import load_cues

    _with_pairs(mini)
    recipe = yaml.safe_load(mini["recipe"].read_text())
    recipe["cues"] = {"probability": 1.0}
    mini["recipe"].write_text(yaml.safe_dump(recipe))
    the_plan = plan(load_recipe(mini["recipe"]))
    book = load_cues(None)
    pairs = the_plan.pairs(the_plan.specs)
    bases = {s.id: s for s in the_plan.specs}
    others = [p for p in pairs if p.pair_condition == "other_scene"]
    assert others and all(p.cues for p in others)
    for p in pairs:
        if p.pair_condition == "no_scene":
            assert p.cues == ()
        elif p.pair_condition == "own_scene":
            assert p.cues == bases[p.pair_of].cues
        else:
            assert all(c.text in book.tags[p.scene_tags[0]].lines for c in p.cues)
            assert all(c.text in p.context for c in p.cues)
