"""Scene composition (like Scaper): a looped background bed, foreground events placed before,
during or after the speech, and levels set by loudness (ITU-R BS.1770)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aorgen.render.loudness import db_to_gain, integrated_loudness, peak_dbfs
from aorgen.plan.spec import MixSpec

CROSSFADE_S = 0.05


def loop_to_length(source: np.ndarray, start: int, length: int, sample_rate: int) -> np.ndarray:
    """``length`` samples of ``source`` from ``start``, wrapping round with equal-power crossfades."""
    fade = min(int(CROSSFADE_S * sample_rate), len(source) // 4)
    start %= len(source)
    if len(source) - start <= fade:  # too little left before the wrap to fade across
        start = 0
    out = np.zeros(length, dtype=np.float32)
    ramp = np.sqrt(np.linspace(0, 1, fade, dtype=np.float32))
    pos, cursor = 0, start
    while pos < length:
        piece = source[cursor:].copy()
        if pos and fade:  # fade this piece in over the previous one's faded-out tail
            piece[:fade] *= ramp
            out[pos - fade : pos] *= ramp[::-1]
            pos -= fade
        take = min(len(piece), length - pos)
        out[pos : pos + take] += piece[:take]
        pos += take
        cursor = 0
    return out


def event_onset(anchor: str, position: float, event_len: int, lead_in: int, speech_len: int, total: int) -> int:
    """Where an event starts: before, during or after the speech, ``position`` ∈ [0, 1] within.
    An event longer than the room left to it starts earlier so that it ends with the clip,
    never cut off by the end (only one longer than the whole clip is)."""
    regions = {
        "before": (0, lead_in),
        "during": (lead_in, lead_in + speech_len),
        "after": (lead_in + speech_len, total),
    }
    start, end = regions[anchor]
    onset = int(start + position * max(0, min(end, total) - start - event_len))
    return max(0, min(onset, total - event_len))


def place(canvas: np.ndarray, clip: np.ndarray, onset: int, gain: float = 1.0) -> None:
    end = min(len(canvas), onset + len(clip))
    canvas[onset:end] += gain * clip[: end - onset]


@dataclass
class Mix:
    mixture: np.ndarray
    speech: np.ndarray
    background: np.ndarray
    background_gain_db: float
    output_gain_db: float
    limiter_gain_db: float  # extra attenuation (≤ 0) that kept the peak below the ceiling
    achieved_snr_db: float  # measured on the 16-bit stems


def output_level(mixture: np.ndarray, spec: MixSpec, sample_rate: int) -> tuple[float, float]:
    """(gain to the target loudness, extra attenuation ≤ 0 that keeps the peak under the ceiling)."""
    output_gain_db = spec.target_lufs - integrated_loudness(mixture, sample_rate)
    limiter_gain_db = min(0.0, spec.max_peak_dbfs - 0.05 - (peak_dbfs(mixture) + output_gain_db))
    return output_gain_db, limiter_gain_db


def to_pcm16(samples: np.ndarray) -> np.ndarray:
    """Quantise to the 16-bit samples the encoded file stores."""
    return np.clip(np.round(samples * 32768.0), -32768, 32767).astype(np.int16)


def measured_snr(speech: np.ndarray, background: np.ndarray, span: slice, sample_rate: int) -> float:
    """Speech loudness − background loudness over the speech, on the 16-bit samples."""
    def level(x: np.ndarray) -> float:
        return integrated_loudness(to_pcm16(x[span]) / 32768.0, sample_rate)

    return level(speech) - level(background)


def mix(speech: np.ndarray, background: np.ndarray, span: slice, spec: MixSpec, sample_rate: int) -> Mix:
    """Scale the background to the SNR (speech loudness − background loudness over the speech),
    then bring the sum to the target loudness, attenuating further if the peak would pass
    the ceiling (a recorded gain, never hard clipping).

    The SNR is checked on the 16-bit output: a sparse background whose quiet blocks sit at
    the BS.1770 absolute gate (−70 LUFS) can measure differently once quantised, so the
    background gain is corrected (at most twice) until the output measures right."""
    background_gain_db = (integrated_loudness(speech[span], sample_rate) - spec.snr_db
                          - integrated_loudness(background[span], sample_rate))
    for _ in range(3):
        scaled = background * db_to_gain(background_gain_db)
        mixture = speech + scaled
        output_gain_db, limiter_gain_db = output_level(mixture, spec, sample_rate)
        gain = db_to_gain(output_gain_db + limiter_gain_db)
        out_speech, out_background = speech * gain, scaled * gain
        achieved = measured_snr(out_speech, out_background, span, sample_rate)
        if abs(achieved - spec.snr_db) <= 0.05:
            break
        background_gain_db += achieved - spec.snr_db
    return Mix(
        mixture=(mixture * gain).astype(np.float32),
        speech=out_speech.astype(np.float32),
        background=out_background.astype(np.float32),
        background_gain_db=background_gain_db,
        output_gain_db=output_gain_db,
        limiter_gain_db=limiter_gain_db,
        achieved_snr_db=achieved,
    )


def mix_alone(speech: np.ndarray, spec: MixSpec, sample_rate: int) -> Mix:
    """The speech with no background, brought to the target loudness under the peak ceiling
    like :func:`mix` (a minimal pair's no_scene row); the SNR is undefined (NaN)."""
    output_gain_db, limiter_gain_db = output_level(speech, spec, sample_rate)
    out = (speech * db_to_gain(output_gain_db + limiter_gain_db)).astype(np.float32)
    return Mix(mixture=out, speech=out, background=np.zeros_like(out), background_gain_db=float("-inf"),
               output_gain_db=output_gain_db, limiter_gain_db=limiter_gain_db, achieved_snr_db=float("nan"))
