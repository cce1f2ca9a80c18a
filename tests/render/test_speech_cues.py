"""Scene speech cues: content linted, drawn into the spec with another voice, synthesised by an
offline engine through a channel, placed in the lead-in as part of the background stem."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
import yaml

from aorgen.render.channels import apply_channel
from aorgen.content.cues import DEFAULT_CUES, lint_cues, load_cues
from aorgen.dataset.schema import rows_table, to_row
from aorgen.plan.planner import plan
from aorgen.content.recipe import load_recipe
from aorgen.render.mix import RenderContext, add_cues, cue_onset, decode, premix, render, speech_audio
from aorgen.content.templates import load_templates
from aorgen.tts import get_engine
from tests.conftest import PROCEDURAL_BANK, ROOT, cli

FLITE = {"select": [{"engine": "flite", "ids": ["slt", "rms", "awb"]}], "balance": ["gender"]}


def _cued_recipe(mini, **cues):
    data = yaml.safe_load(mini["recipe"].read_text())
    data |= {"voices": FLITE, "augment": [], "room": {"pool_size": 2, "probability": 0.5},
             "cues": {"probability": 1.0, **cues}}
    mini["recipe"].write_text(yaml.safe_dump(data))
    return load_recipe(mini["recipe"])


@pytest.fixture
def cued(mini):
    if "flite" not in {v.engine for v in get_engine("flite").voices()}:
        pytest.skip("flite is not installed")
    recipe = _cued_recipe(mini)
    ctx = RenderContext.from_bank_paths([mini["bank"], PROCEDURAL_BANK], mini["cache"])
    return recipe, plan(recipe), ctx


def test_builtin_cues_cover_every_pseudo_harmful_tag_and_pass_lint():
    scripts = load_templates([ROOT / "templates"])
    needed = {t for s in scripts if s.label == "pseudo_harmful" for t in s.script.scene_tags}
    book = load_cues(DEFAULT_CUES)
    assert needed <= set(book.tags)
    assert lint_cues(book, needed) == []


def test_lint_catches_a_missing_tag_a_harmful_word_and_a_long_line(mini, tmp_path):
    cue_file = tmp_path / "cues.yaml"
    cue_file.write_text(yaml.safe_dump({"tags": {"basketball_game": {
        "role": "announcer", "channel": "loudspeaker",
        "lines": ["Timeout, home team!", "Two minutes left in the fourth quarter.",
                  "He will shoot the free throw now.",
                  "one two three four five six seven eight nine ten eleven"]}}}))
    done = cli("templates", "lint", mini["templates"], "--bank", mini["bank"], "--cues", cue_file)
    assert done.exit_code == 2
    assert "boxing_match: tags: no cues" in done.stderr  # a tag of the pseudo-harmful scripts
    assert "harmful word 'shoot'" in done.stderr
    assert "11 words, outside 3-10" in done.stderr
    cue_file.write_text(yaml.safe_dump({"tags": {"basketball_game": {"role": "a", "lines": []}}}))
    done = cli("templates", "lint", mini["templates"], "--cues", cue_file)
    assert done.exit_code == 2 and str(cue_file) in done.stderr and "lines" in done.stderr


def test_plan_draws_cues_with_another_voice_and_says_so_in_the_context(cued, mini):
    recipe, the_plan, _ = cued
    assert all(s.cues for s in the_plan.specs)
    for spec in the_plan.specs:
        cue = spec.cues[0]
        assert (cue.speech.engine, cue.speech.voice_id) != (spec.speech.engine, spec.speech.voice_id)
        assert cue.anchor == "before" and cue.text in spec.context
        assert cue.text in load_cues().tags[spec.scene_tags[0]].lines
    assert plan(recipe).specs == the_plan.specs  # deterministic from the per-sample RNG
    recipe.cues.probability = 0.0
    plain = plan(recipe).specs  # the cues draw from their own RNG: the rest of the plan is unchanged
    assert [s.model_copy(update={"cues": (), "context": ""}) for s in the_plan.specs] == \
           [s.model_copy(update={"context": ""}) for s in plain]


def test_a_phone_cue_is_real_speech_band_limited_to_300_3400_hz(cued):
    _, the_plan, ctx = cued
    cue = the_plan.specs[0].cues[0]
    voice = speech_audio(cue.speech, 16000, ctx.speech_cache)
    assert len(voice) > 0.5 * 16000 and np.max(np.abs(voice)) > 0.05  # flite said it
    phone = apply_channel(voice, 16000, "phone")
    freqs, power = scipy.signal.welch(phone, 16000, nperseg=1024)
    inside = power[(freqs > 400) & (freqs < 3000)].mean()
    assert power[freqs > 5000].mean() < 1e-3 * inside and power[freqs < 100].mean() < 1e-2 * inside


def test_the_cue_lies_in_the_lead_in_and_the_stems_add_up(cued):
    _, the_plan, ctx = cued
    for spec in the_plan.specs[:3]:
        speech_canvas, background = premix(spec, ctx)
        before = background.copy()
        add_cues(spec, ctx, speech_canvas, background)
        changed = np.flatnonzero(np.abs(background - before) > 1e-6)
        lead_in = int(spec.mix.lead_in_s * spec.sample_rate)
        assert len(changed) > 0.5 * spec.sample_rate, spec.id  # a cue of some length was added
        assert changed[-1] < lead_in, (spec.id, changed[-1] / spec.sample_rate, spec.mix.lead_in_s)

        rendered = render(spec, ctx)
        mixture, _ = decode(rendered.audio)
        speech, _ = decode(rendered.speech)
        bg, _ = decode(rendered.background)
        assert np.array_equal(np.round((speech + bg) * 32768), np.round(mixture * 32768))
        assert abs(rendered.qc.achieved_snr_db - spec.mix.snr_db) <= 0.5

        row = to_row(rendered)
        assert row["speech_cues"] == [spec.cues[0].text]
        assert rows_table([row], spec).column("speech_cues").to_pylist() == [[spec.cues[0].text]]


def test_an_after_cue_is_quieter_and_never_cut_off(mini):
    recipe = _cued_recipe(mini, probability=0.0, after_probability=1.0)
    spec = plan(recipe).specs[0]
    cue = spec.cues[0]
    assert cue.anchor == "after" and cue.cue_to_speech_db <= recipe.cues.cue_to_speech_db.high - 6
    rng = np.random.default_rng(0)
    for _ in range(300):
        sr, cue_len = 16000, int(rng.integers(100, 80000))
        start, end, total = 48000, 48000 + int(rng.integers(1, 60000)), None
        total = end + int(rng.integers(16000, 32000))
        onset = cue_onset("after", float(rng.random()), cue_len, start, end, total, sr)
        assert 0 <= onset and onset + cue_len <= max(total, cue_len)
        if cue_len <= total - end - int(0.25 * sr):
            assert onset >= end + int(0.25 * sr)  # after the speech when it fits
        onset = cue_onset("before", float(rng.random()), cue_len, start, end, total, sr)
        if cue_len <= start - int(0.6 * sr):
            assert int(0.2 * sr) <= onset and onset + cue_len <= start - int(0.4 * sr)


def test_a_cue_under_the_speech_keeps_its_level_the_snr_and_the_bed(mini):
    """A cue under the speech: planned under the whole background, placed inside the speech
    and never cut off, at its level relative to the speech after mix() scales the background
    (the cue now counts in the SNR), with the bed still under it."""
    from aorgen.render.loudness import integrated_loudness
    from aorgen.render.scene import mix

    if "flite" not in {v.engine for v in get_engine("flite").voices()}:
        pytest.skip("flite is not installed")
    recipe = _cued_recipe(mini, probability=0.0, during_probability=1.0)
    ctx = RenderContext.from_bank_paths([mini["bank"], PROCEDURAL_BANK], mini["cache"])
    specs = [s for s in plan(recipe).specs if s.background is not None][:3]
    assert specs
    for spec in specs:
        (cue,) = spec.cues
        assert cue.anchor == "during" and "during the speech" in spec.context
        below = recipe.cues.during_below_background_db
        assert -spec.mix.snr_db - below.high - 0.01 <= cue.cue_to_speech_db <= -spec.mix.snr_db - below.low + 0.01
        sr = spec.sample_rate
        speech_canvas, bed = premix(spec, ctx)
        background = bed.copy()
        add_cues(spec, ctx, speech_canvas, background)
        lead_in = int(spec.mix.lead_in_s * sr)
        span = slice(lead_in, len(bed) - int(spec.mix.tail_s * sr))
        changed = np.flatnonzero(np.abs(background - bed) > 1e-6)
        assert changed[0] >= lead_in and changed[-1] < len(bed) - 1, spec.id  # under the speech, whole
        mixed = mix(speech_canvas, background, span, spec.mix, sr)
        assert abs(mixed.achieved_snr_db - spec.mix.snr_db) <= 0.5
        gain = mixed.background.max() / max(background.max(), 1e-12)
        voice, bed_out = (background - bed) * gain, bed * gain
        speech_lufs = integrated_loudness(mixed.speech[span], sr)
        assert integrated_loudness(voice[changed[0]:changed[-1]], sr) - speech_lufs == \
            pytest.approx(cue.cue_to_speech_db, abs=1.0)
        assert integrated_loudness(bed_out[span], sr) - speech_lufs > -spec.mix.snr_db - 6  # the bed stays
        rendered = render(spec, ctx)
        assert abs(rendered.qc.achieved_snr_db - spec.mix.snr_db) <= 0.5


def test_a_redrawn_clip_keeps_its_cues_with_a_new_line_or_voice(mini):
    """Whether a clip has a cue is drawn once per clip, so the intelligibility gate's re-draws
    do not drift the benchmark towards clips without cues."""
    recipe = _cued_recipe(mini, probability=0.5, during_probability=0.5)
    the_plan = plan(recipe)
    changed = 0
    for spec in the_plan.specs:
        for attempt in (1, 2):
            again = the_plan.redraw(spec, attempt)
            assert [c.anchor for c in again.cues] == [c.anchor for c in spec.cues], spec.id
            changed += again.cues != spec.cues
    assert {len(s.cues) for s in the_plan.specs} >= {0, 1} and changed > 0


def test_the_card_says_how_many_clips_carry_a_cue_where_and_how_loud(mini):
    from aorgen.dataset.card import generation_facts

    recipe = _cued_recipe(mini, probability=0.5, during_probability=0.5)
    specs = plan(recipe).specs
    fact = generation_facts(recipe.model_dump(), specs, {})["Scene speech cues"]
    cued = sum(bool(s.cues) for s in specs)
    under = sum(c.anchor == "during" for s in specs for c in s.cues)
    assert 0 < cued < len(specs) and under > 0
    assert fact.startswith(f"{cued} of {len(specs)} clips") and f"{under} under the request" in fact
    assert generation_facts(recipe.model_dump(), [s.model_copy(update={"cues": ()}) for s in specs],
                            {})["Scene speech cues"] == "none"
