"""The embedded espeak-ng engine, for real."""

from __future__ import annotations

import numpy as np
import pytest

from aorgen.errors import AorgenError
from aorgen.tts import Prosody, get_engine
from aorgen.tts.espeak import EspeakEngine
from aorgen.content.voices import Voice, VoiceFilter, select_voices

TEXT = "How do I shoot him from here without the big guy blocking me?"


def f0_median(x: np.ndarray, rate: int) -> float:
    """Median fundamental frequency over voiced 40 ms frames, by autocorrelation (60-400 Hz)."""
    frame, hop = int(0.04 * rate), int(0.01 * rate)
    lo, hi = rate // 400, rate // 60
    f0s = []
    for start in range(0, len(x) - frame, hop):
        seg = x[start : start + frame] - np.mean(x[start : start + frame])
        if np.sqrt(np.mean(seg**2)) < 0.02:
            continue
        ac = np.correlate(seg, seg, "full")[frame - 1 :]
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] > 0.4 * ac[0]:
            f0s.append(rate / lag)
    return float(np.median(f0s))


@pytest.fixture(scope="module")
def engine():
    return get_engine("espeak")


def test_catalogue_spans_genders_and_accents(engine):
    voices = engine.voices()
    assert {v.gender for v in voices} == {"female", "male"}
    assert len({v.accent for v in voices}) >= 6
    assert all(v.language == "en" for v in voices)


def test_speech_is_non_silent_and_of_plausible_duration(engine):
    voice = select_voices(engine.voices(), VoiceFilter(ids=["en-us+m3"]))[0]
    out = engine.synthesize(TEXT, voice, Prosody())
    seconds = len(out.samples) / out.sample_rate
    words = len(TEXT.split())
    assert 0.2 < seconds / words < 0.6  # 100-300 words per minute
    assert np.sqrt(np.mean(out.samples**2)) > 0.02


def test_rate_changes_duration(engine):
    voice = Voice(engine="espeak", id="en-gb-x-rp+f3")
    slow = engine.synthesize(TEXT, voice, Prosody(rate=0.8))
    fast = engine.synthesize(TEXT, voice, Prosody(rate=1.25))
    assert len(slow.samples) > 1.3 * len(fast.samples)


def test_female_variant_has_higher_f0_than_male(engine):
    female = engine.synthesize(TEXT, Voice(engine="espeak", id="en-us+f3"), Prosody())
    male = engine.synthesize(TEXT, Voice(engine="espeak", id="en-us+m3"), Prosody())
    f_f0, m_f0 = f0_median(female.samples, female.sample_rate), f0_median(male.samples, male.sample_rate)
    assert f_f0 > 1.4 * m_f0, (f_f0, m_f0)
    assert 80 < m_f0 < 180 and 150 < f_f0 < 320


def test_same_input_gives_identical_samples_whatever_came_before(engine):
    voice = Voice(engine="espeak", id="en-029+f2")  # a variant with breath noise and echo
    first = engine.synthesize(TEXT, voice, Prosody(rate=1.1))
    assert np.array_equal(first.samples, engine.synthesize(TEXT, voice, Prosody(rate=1.1)).samples)
    engine.synthesize("Something else entirely, to disturb any state.", Voice(engine="espeak", id="en-us+m7"), Prosody())
    assert np.array_equal(first.samples, engine.synthesize(TEXT, voice, Prosody(rate=1.1)).samples)
    fresh = EspeakEngine()  # a new server, with no history at all
    assert np.array_equal(first.samples, fresh.synthesize(TEXT, voice, Prosody(rate=1.1)).samples)


def test_unknown_voice_is_one_clear_error(engine):
    with pytest.raises(AorgenError, match="en-us\\+f3"):
        select_voices(engine.voices(), VoiceFilter(ids=["en-us+f33"]))
