"""Room for the context: a 3-5 s lead-in with two events before the speech, no event cut off
by the end of the clip, and the bed no more than 15 dB under the speech in every SNR band."""

from __future__ import annotations

import numpy as np
import pytest

from aorgen.errors import AorgenError

from aorgen.plan.planner import plan
from aorgen.content.recipe import SceneConfig, load_recipe
from aorgen.render.scene import event_onset


def test_default_bands_keep_the_bed_audible():
    scene = SceneConfig()
    assert max(b.high for b in scene.snr_bands_db) <= 15
    assert scene.lead_in_s.low >= 3 and scene.lead_in_s.high <= 5


def test_plan_gives_a_long_lead_in_with_two_events_before_the_speech(mini):
    recipe = load_recipe(mini["recipe"])
    recipe.scene = SceneConfig()
    specs = plan(recipe).specs
    assert specs
    for spec in specs:
        assert 3.0 <= spec.mix.lead_in_s <= 5.0
        assert spec.mix.snr_db <= 15
        anchors = [e.anchor for e in spec.events]
        assert anchors[:2] == ["before"] * min(2, len(anchors)), spec.id
        assert len(anchors) >= 2, spec.id  # the test bank has two event clips per tag


def test_no_event_is_cut_off_by_the_end_of_the_clip():
    rng = np.random.default_rng(0)
    lead_in, speech_len, total = 48000, 40000, 48000 + 40000 + 16000
    for _ in range(500):
        event_len = int(rng.integers(100, 60000))
        anchor = str(rng.choice(["before", "during", "after"]))
        onset = event_onset(anchor, float(rng.random()), event_len, lead_in, speech_len, total)
        assert onset >= 0 and onset + event_len <= total, (anchor, event_len, onset)
        if anchor == "before" and event_len <= lead_in:
            assert onset + event_len <= lead_in  # ends before the speech when it fits


def test_licence_filter_allow_and_exclude():
    from aorgen.content.licenses import allowed

    assert allowed("CC0-1.0")
    assert allowed("cc-by-4.0", allow=["CC0-1.0", "CC-BY-4.0"])
    assert not allowed("CC-BY-NC-4.0", allow=["CC0-1.0", "CC-BY-4.0"])
    assert not allowed("CC-BY-SA-4.0", exclude=["CC-BY-SA-4.0"])


def test_recipe_licence_filter_drops_recordings(mini):
    recipe = load_recipe(mini["recipe"])
    recipe.exclude_licenses = ["CC-BY-4.0"]  # the test bank's licence: no scene recording is left
    with pytest.raises(AorgenError, match="licence filter"):  # every script
        plan(recipe)  # scripts are left out rather than rendered over procedural stand-ins
    recipe.exclude_licenses = []
    recipe.licenses = ["CC-BY-4.0", "CC0-1.0"]
    assert all(s.background.source.bank == "testbank" for s in plan(recipe).specs)


def test_context_column_describes_what_was_rendered():
    from aorgen.content.soundbank import load_bank

    recipe = load_recipe()
    recipe.samples_per_category = {"pseudo_harmful": 12, "harmful_contrast": 2, "benign_control": 2}
    the_plan = plan(recipe)
    clips = {(b.name, c.id): c for b in the_plan.banks for c in b.catalogue.clips}
    assert load_bank  # the cues come from the banks' catalogues
    for spec in the_plan.specs:
        bed = clips[(spec.background.source.bank, spec.background.source.clip_id)]
        assert spec.context.lower().startswith((bed.context_cue or bed.id)[:20].lower())
        for event in spec.events:
            cue = clips[(event.source.bank, event.source.clip_id)].context_cue
            assert not cue or cue.lower() in spec.context.lower()
        assert spec.intended_context and spec.intended_context != spec.context
