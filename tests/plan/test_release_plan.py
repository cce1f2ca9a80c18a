"""The v1 release plan: counts, balance over voices, SNR bands and rooms, split by script."""

from __future__ import annotations

from collections import Counter

import pytest

from aorgen.dataset.build import plan_digest
from aorgen.plan.planner import plan
from aorgen.content.recipe import load_recipe
from aorgen.content.templates import CATEGORIES


@pytest.fixture(scope="module")
def release():
    return plan(load_recipe())


def test_release_has_500_pseudo_harmful_clips_per_category_plus_the_sets(release):
    counts = Counter((s.label, s.category) for s in release.specs)
    for category in CATEGORIES:
        assert counts[("pseudo_harmful", category)] == 500
        assert counts[("harmful_contrast", category)] == 40
        assert counts[("benign_control", category)] == 40
    assert len(release.specs) == 3480
    assert len({s.id for s in release.specs}) == 3480


def test_no_script_is_in_both_splits(release):
    train = {s.script_id for s in release.specs if s.split == "train"}
    test = {s.script_id for s in release.specs if s.split == "test"}
    assert train and test and not train & test
    share = sum(s.split == "test" for s in release.specs) / len(release.specs)
    assert 0.4 < share < 0.6


def test_balanced_over_gender_accent_snr_band_and_rooms(release):
    ph = [s for s in release.specs if s.label == "pseudo_harmful"]
    voices = {(s.speech.engine, s.speech.voice_id): s.speech.gender for s in release.specs}
    assert len(voices) >= 8 and sum(g == "female" for g in voices.values()) >= 3
    for category in CATEGORIES:
        mine = [s for s in ph if s.category == category]
        genders = Counter(s.speech.gender for s in mine)
        assert abs(genders["female"] - genders["male"]) <= 2
        accents = Counter(s.speech.accent for s in mine)
        assert len(accents) >= 2
        edges = [band.low for band in load_recipe().scene.snr_bands_db[1:]]
        bands = Counter(sum(s.mix.snr_db >= edge for edge in edges) for s in mine)
        assert max(bands.values()) - min(bands.values()) <= 2 + len(mine) // 200  # draws rounded onto a band edge
        rooms = sum(s.room is not None for s in mine) / len(mine)
        assert rooms == pytest.approx(0.6, abs=0.03)


def test_every_clip_has_a_bed_and_tags_from_its_script(release):
    for spec in release.specs[::37]:
        assert spec.background.source.clip_id
        assert spec.scene_tags


@pytest.mark.slow
def test_planning_is_reproducible_and_seeded(release):
    recipe = load_recipe()
    assert plan_digest(plan(recipe).specs) == plan_digest(release.specs)
    recipe.seed = 1
    other = plan(recipe).specs
    assert plan_digest(other) != plan_digest(release.specs)
    assert [s.id for s in other] != [s.id for s in release.specs] or other[0].mix != release.specs[0].mix


def test_release_variants_extend_v1_and_change_only_what_they_say(tmp_path):
    """The -full and -neural recipes are v1 plus their own keys (``extends``), so they cannot
    drift from it; mappings merge key by key, lists and nulls replace."""
    from aorgen.content.recipe import recipe_data
    from aorgen.resources import RELEASE_DIR

    v1 = load_recipe().model_dump()
    differ = lambda r: {k for k in v1 if r[k] != v1[k]}  # noqa: E731
    full = load_recipe(RELEASE_DIR / "aor-bench-v1-full.yaml").model_dump()
    neural = load_recipe(RELEASE_DIR / "aor-bench-v1-neural.yaml").model_dump()
    assert differ(full) == {"name", "sound_banks", "scene_qc"}
    assert differ(neural) == {"name", "voices"}
    assert neural["voices"]["rates"] == v1["voices"]["rates"] and neural["voices"]["presence"] is None
    assert {s["engine"] for s in neural["voices"]["select"]} == {"kokoro"}

    (tmp_path / "a.yaml").write_text("seed: 1\nscene: {lead_in_s: {low: 2, high: 3}}\nvoices: {rates: [1.0, 1.1]}\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\nscene: {lead_in_s: {high: 4}}\nvoices: {rates: [0.9]}\n")
    assert recipe_data(tmp_path / "b.yaml") == {"seed": 1, "scene": {"lead_in_s": {"low": 2, "high": 4}},
                                               "voices": {"rates": [0.9]}}



def test_a_cue_is_never_said_by_the_speaker_nor_a_voice_of_the_same_person(release):
    """v1 has CMU ARCTIC slt three times (Flite, Festival HTS, RHVoice): a cue in one of them
    over a request in another would be the same person talking to themself."""
    from aorgen.content.voices import same_speaker

    voices = {(v.engine, v.id): v for v in release.voices}
    cued = [s for s in release.specs if s.cues]
    assert len(cued) > 0.6 * len(release.specs)
    slt = {k for k, v in voices.items() if v.speaker == "cmu-arctic-slt"}
    assert len(slt) == 3
    for spec in cued:
        speaker = voices[(spec.speech.engine, spec.speech.voice_id)]
        for cue in spec.cues:
            assert not same_speaker(voices[(cue.speech.engine, cue.speech.voice_id)], speaker), spec.id
