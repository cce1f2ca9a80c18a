"""Loudness after ITU-R BS.1770-4: K-weighting, 400 ms blocks with 75 % overlap, gating.

Vectorised (cumulative sums instead of a Python loop over blocks); the K-weighting filter
coefficients come from pyloudnorm, and the tests check the result against pyloudnorm.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.signal

SILENCE_LUFS = -120.0  # what a silent signal measures (instead of -inf)
_BLOCK_S = 0.4
_STEP_S = 0.1
_ABSOLUTE_GATE = -70.0
_RELATIVE_GATE = -10.0


@lru_cache(maxsize=None)
def _k_weighting(sample_rate: int) -> np.ndarray:
    from pyloudnorm.iirfilter import IIRfilter

    shelf = IIRfilter(4.0, 1 / np.sqrt(2), 1500.0, sample_rate, "high_shelf")
    highpass = IIRfilter(0.0, 0.5, 38.0, sample_rate, "high_pass")
    return np.vstack([np.hstack([f.b, f.a]) for f in (shelf, highpass)])


def _to_lufs(mean_square: np.ndarray | float) -> np.ndarray | float:
    with np.errstate(divide="ignore"):
        return np.maximum(-0.691 + 10.0 * np.log10(mean_square), SILENCE_LUFS)


def block_powers(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mean square of the K-weighted signal in each gating block (one block if shorter)."""
    y = scipy.signal.sosfilt(_k_weighting(sample_rate), np.asarray(x, dtype=np.float64))
    step = round(_STEP_S * sample_rate)
    per_block = round(_BLOCK_S / _STEP_S)  # a 400 ms block is four 100 ms steps
    if len(y) < per_block * step:
        return np.array([np.mean(y**2)]) if len(y) else np.zeros(1)
    steps = len(y) // step
    sub = np.einsum("ij,ij->i", *(y[: steps * step].reshape(steps, step),) * 2)
    blocks = sum(sub[i : steps - per_block + 1 + i] for i in range(per_block))
    return blocks / (per_block * step)


def integrated_loudness(x: np.ndarray, sample_rate: int) -> float:
    """Gated integrated loudness in LUFS; speech pauses fall below the gates."""
    z = block_powers(x, sample_rate)
    z = z[_to_lufs(z) > _ABSOLUTE_GATE]
    if not len(z):
        return SILENCE_LUFS
    relative = _to_lufs(np.mean(z)) + _RELATIVE_GATE
    z = z[_to_lufs(z) > relative]
    return float(_to_lufs(np.mean(z)))


def max_momentary_loudness(x: np.ndarray, sample_rate: int) -> float:
    """Loudest 400 ms block: the level of a short event."""
    return float(_to_lufs(np.max(block_powers(x, sample_rate))))


def peak_dbfs(x: np.ndarray) -> float:
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    return float(20.0 * np.log10(peak)) if peak > 0 else SILENCE_LUFS


def db_to_gain(db: float) -> float:
    return float(10.0 ** (db / 20.0))
