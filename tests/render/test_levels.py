"""Loudness (BS.1770), SNR, output level and clipping prevention."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest

from aorgen.dataset.build import build
from aorgen.dataset.schema import iter_rows
from aorgen.render.loudness import integrated_loudness, peak_dbfs
from aorgen.content.recipe import load_recipe
from aorgen.render.scene import loop_to_length, mix
from aorgen.plan.spec import MixSpec


@pytest.mark.parametrize("rate", [16000, 22050, 48000])
def test_integrated_loudness_matches_pyloudnorm(rate):
    rng = np.random.default_rng(rate)
    t = np.arange(4 * rate) / rate
    signals = [
        0.2 * rng.standard_normal(len(t)),
        0.5 * np.sin(2 * np.pi * 997 * t),
        np.concatenate([0.3 * rng.standard_normal(rate), np.zeros(rate), 0.05 * rng.standard_normal(2 * rate)]),
    ]
    meter = pyloudnorm.Meter(rate)
    for x in signals:
        assert integrated_loudness(x, rate) == pytest.approx(meter.integrated_loudness(x), abs=0.05)


def test_a_full_scale_997hz_sine_reads_minus_3_lufs():
    rate = 48000
    t = np.arange(5 * rate) / rate
    assert integrated_loudness(np.sin(2 * np.pi * 997 * t), rate) == pytest.approx(-3.01, abs=0.05)


def test_mix_hits_the_snr_and_the_ceiling_without_clipping():
    rate = 16000
    rng = np.random.default_rng(1)
    speech = np.zeros(4 * rate, dtype=np.float32)
    speech[rate : 3 * rate] = 0.5 * np.sin(2 * np.pi * 220 * np.arange(2 * rate) / rate) * (rng.random(2 * rate) > 0.3)
    background = (0.1 * rng.standard_normal(4 * rate)).astype(np.float32)
    background[100:140] = 0.99  # a transient that would clip once made loud
    span = slice(rate, 3 * rate)
    for snr in (-5.0, 0.0, 7.5, 20.0):
        loud = MixSpec(snr_db=snr, lead_in_s=1, tail_s=1, target_lufs=-6.0, max_peak_dbfs=-1.0)
        m = mix(speech, background, span, loud, rate)
        achieved = integrated_loudness(m.speech[span], rate) - integrated_loudness(m.background[span], rate)
        assert achieved == pytest.approx(snr, abs=0.01)
        assert peak_dbfs(m.mixture) <= -1.0
        assert m.limiter_gain_db < 0  # the ceiling, not clipping, limited the level
        assert np.allclose(m.mixture, m.speech + m.background, atol=1e-6)


def test_loop_crossfades_fill_the_length_without_gaps():
    rate = 16000
    source = np.ones(rate // 2, dtype=np.float32)
    looped = loop_to_length(source, start=1000, length=3 * rate, sample_rate=rate)
    assert len(looped) == 3 * rate
    # equal-power seams: never a dropout; at most +3 dB where a constant overlaps itself
    assert looped.min() >= 0.99 and looped.max() <= 1.42


@pytest.mark.slow
def test_qc_holds_on_every_clip_of_a_build(mini):
    """Achieved SNR within ±0.5 dB of the spec, peak ≤ −1 dBFS, never silent, on many clips."""
    recipe = load_recipe(mini["recipe"])
    recipe.samples_per_category = {"pseudo_harmful": 24, "harmful_contrast": 4, "benign_control": 4}
    recipe.scene.snr_bands_db = [type(recipe.scene.snr_bands_db[0])(low=-5, high=25)]
    build(recipe, mini["out"], cache_dir=mini["cache"], workers=2)
    rows = [r.data for r in iter_rows(mini["out"] / "mini")]
    assert len(rows) == 32
    for row in rows:
        assert abs(row["achieved_snr_db"] - row["snr_db"]) <= 0.5, row["id"]
        assert row["peak_dbfs"] <= -1.0
        assert row["loudness_lufs"] > -50
        assert row["qc_passed"]
    # the output level is the target unless the ceiling forced it lower
    for row in rows:
        if row["limiter_gain_db"] == 0:
            assert row["loudness_lufs"] == pytest.approx(-23.0, abs=1.0)


def test_loop_from_any_offset_including_the_very_end():
    rate = 16000
    source = np.random.default_rng(0).standard_normal(rate).astype(np.float32)
    for start in (0, 1, rate // 2, rate - 900, rate - 1, rate + 5):
        looped = loop_to_length(source, start=start, length=5 * rate, sample_rate=rate)
        assert len(looped) == 5 * rate and np.all(np.isfinite(looped))


def test_snr_holds_on_16_bit_output_for_a_sparse_background():
    """Birdsong-like bursts over near-silence put blocks at the −70 LUFS gate; quantising to
    16 bits can flip them, so the mix corrects until the 16-bit stems measure right."""
    from aorgen.render.scene import measured_snr

    rate = 16000
    rng = np.random.default_rng(5)
    speech = np.zeros(6 * rate, dtype=np.float32)
    speech[rate : 5 * rate] = 0.3 * np.sin(2 * np.pi * 180 * np.arange(4 * rate) / rate)
    background = (1e-5 * rng.standard_normal(6 * rate)).astype(np.float32)
    for start in rng.integers(0, 6 * rate - 800, size=12):
        background[start : start + 800] += 0.3 * np.sin(2 * np.pi * 3000 * np.arange(800) / rate)
    span = slice(rate, 5 * rate)
    for snr in (10.0, 18.0, 25.0):
        m = mix(speech, background, span, MixSpec(snr_db=snr, lead_in_s=1, tail_s=1, target_lufs=-23, max_peak_dbfs=-1), rate)
        assert measured_snr(m.speech, m.background, span, rate) == pytest.approx(snr, abs=0.05)
        assert m.achieved_snr_db == pytest.approx(snr, abs=0.05)
