"""Scene-match QC with a tiny random CLAP model built from a config and an offline processor,
loaded from a folder exactly as a Hub checkpoint would be."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from aorgen.dataset.build import _context, build
from aorgen.errors import AorgenError
from aorgen.plan.planner import plan
from aorgen.content.recipe import SceneQCConfig, load_recipe
from aorgen.resources import RELEASE_DIR
from aorgen.plan.sceneqc import ClapScorer, margins, scene_qc, scene_text
from aorgen.plan.spec import SampleSpec
from aorgen.testing.tiny_models import build_tiny_clap

TAG_WORDS = ["the", "sound", "of", "a", "basketball", "game", "boxing", "match", "rain", "crowd"]


@pytest.fixture(scope="module")
def tiny_clap(tmp_path_factory):
    return build_tiny_clap(tmp_path_factory.mktemp("clap") / "tiny-clap", TAG_WORDS)


def _recipe(mini, tiny_clap, margin: float, attempts: int = 3, **extra):
    data = yaml.safe_load(mini["recipe"].read_text())
    data["samples_per_category"] = {"pseudo_harmful": 3, "harmful_contrast": 1, "benign_control": 1}
    data["augment"] = []
    data["scene_qc"] = {"model": str(tiny_clap), "margin": margin, "attempts": attempts, "batch_size": 4}
    data.update(extra)
    mini["recipe"].write_text(yaml.safe_dump(data))
    return load_recipe(mini["recipe"])


def _checked(recipe, cache, workers: int = 1):
    the_plan = plan(recipe)
    ctx = _context([str(b.file) for b in the_plan.banks], str(cache))
    return the_plan, ctx, scene_qc(the_plan, recipe.scene_qc, ctx, workers=workers)


def test_margin_is_own_best_minus_other_best():
    text = np.eye(3)
    audio = np.array([[0.8, 0.6, 0.0], [0.0, 0.6, 0.8]])
    got = margins(audio, text, [{0}, {0, 1}])
    assert got == pytest.approx([0.8 - 0.6, 0.6 - 0.8])


def test_scene_text_prompt_and_override():
    config = SceneQCConfig(texts={"film_set": "a film set: a clapperboard and a director"})
    assert scene_text("chess_tournament", config) == "the sound of a chess tournament"
    assert scene_text("film_set", config) == "a film set: a clapperboard and a director"


def test_scorer_loads_a_checkpoint_folder(tiny_clap):
    scorer = ClapScorer(str(tiny_clap))
    assert scorer.sample_rate == 48000
    rng = np.random.default_rng(0)
    clips = [(0.1 * rng.standard_normal(16000 * 2).astype(np.float32), 16000),
             (np.sin(np.arange(22050 * 3) / 22050 * 2 * np.pi * 440).astype(np.float32), 22050)]
    audio = scorer.audio(clips)
    assert audio.shape == (2, 16) and np.allclose(np.linalg.norm(audio, axis=1), 1, atol=1e-5)
    assert not np.allclose(audio[0], audio[1])
    assert np.allclose(scorer.audio(clips[:1]), audio[:1], atol=1e-5)  # deterministic
    text = scorer.texts(["the sound of a boxing match", "the sound of a basketball game"])
    assert not np.allclose(text[0], text[1])


@pytest.mark.slow
def test_clips_below_the_margin_are_redrawn_and_the_best_draw_kept(mini, tiny_clap, monkeypatch):
    # a margin of 2 cannot be reached (cosine margins lie in [-2, 2)): every clip is drawn 3 times
    recipe = _recipe(mini, tiny_clap, margin=2.0, attempts=3)
    the_plan, ctx, result = _checked(recipe, mini["cache"])
    n = len(result.specs)
    assert n == 5 and result.redrawn == 2 * n and sorted(result.failed) == sorted(s.id for s in result.specs)
    original = {s.id: s for s in plan(recipe).specs}
    fresh = plan(recipe)
    tags = sorted({t for b in fresh.banks for c in b.catalogue.clips for t in c.scene_tags})
    for spec in result.specs[:4]:
        draws = [original[spec.id]] + [fresh.redraw_scene(original[spec.id], a) for a in (1, 2)]
        # only the scene changes in a re-draw
        assert all(d.speech == spec.speech and d.mix == spec.mix and d.transcript == spec.transcript for d in draws)
        from aorgen.plan.sceneqc import _embeddings, scorer_for

        own = [{tags.index(t) for t in spec.scene_tags}] * 3
        text = scorer_for(str(tiny_clap)).texts([scene_text(t, recipe.scene_qc) for t in tags])
        scores = margins(_embeddings(draws, recipe.scene_qc, ctx, [str(b.file) for b in fresh.banks], 2, "local", None),
                         text, own)
        assert spec.scene_margin == pytest.approx(max(scores), abs=1e-4)
        assert spec.scene_attempt == int(np.argmax(scores))
        assert spec.background == draws[spec.scene_attempt].background
    # the same recipe gives the same checked specs, with a fresh cache and stems rendered on 2 workers
    monkeypatch.setattr("aorgen.plan.sceneqc.CHUNK", 2)
    assert [s.model_dump() for s in _checked(recipe, mini["root"] / "other-cache", workers=2)[2].specs] == \
        [s.model_dump() for s in result.specs]
    # the gate's re-draws keep the checked scene
    spec = result.specs[0]
    again = the_plan.redraw(spec, 1)
    assert again.background == spec.background and again.scene_margin == spec.scene_margin
    assert again.attempt == 1


def test_clips_above_the_margin_are_kept(mini, tiny_clap):
    recipe = _recipe(mini, tiny_clap, margin=-2.0)
    before = {s.id: s for s in plan(recipe).specs}
    _, _, result = _checked(recipe, mini["cache"])
    assert result.redrawn == 0 and not result.failed
    for spec in result.specs:
        assert spec.scene_attempt == 0 and spec.scene_margin is not None
        assert spec.model_copy(update={"scene_margin": None}) == before[spec.id]
    assert "5/5 pass (100.0 %)" in result.describe(-2.0)


def test_build_records_the_margin_and_reports_it(mini, tiny_clap):
    recipe = _recipe(mini, tiny_clap, margin=0.0, attempts=2)
    summary = build(recipe, mini["out"], cache_dir=mini["cache"])
    assert "scene QC: " in summary.describe() and "median margin" in summary.describe()
    table = pq.read_table(sorted((mini["out"] / "mini").rglob("*.parquet"))[0], columns=["spec"])
    specs = [SampleSpec.model_validate_json(s) for s in table.column("spec").to_pylist()]
    assert specs and all(s.scene_margin is not None for s in specs)


def test_an_unloadable_model_is_one_clear_error(mini, tmp_path, tiny_clap):
    recipe = _recipe(mini, tiny_clap, margin=0.0)
    recipe.scene_qc.model = str(tmp_path / "no-such-model")
    with pytest.raises(AorgenError, match="cannot load the CLAP model") as err:
        _checked(recipe, mini["cache"])
    assert err.value.field == "scene_qc.model"


def test_offline_recipe_has_no_scene_qc_and_the_full_one_does():
    assert load_recipe().scene_qc is None
    full = load_recipe(RELEASE_DIR / "aor-bench-v1-full.yaml")
    assert full.scene_qc is not None and full.scene_qc.margin > 0
    assert any(b.endswith("sound_banks/fsd50k") for b in full.sound_banks)
