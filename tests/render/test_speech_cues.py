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
