"""Channels a background voice comes through: a PA loudspeaker in a hall, a TV, a radio, a
phone, or direct (a voice in the room). Band limits after the usual transmission bands."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.signal

from aorgen.plan.spec import RoomSpec

HALL_TAIL_S = 0.5  # reverberation kept after a PA cue

# (low Hz, high Hz) of each channel's band; direct is left as it is
BANDS = {"loudspeaker": (250.0, 5000.0), "tv": (120.0, 7000.0), "radio": (200.0, 5000.0), "phone": (300.0, 3400.0)}
PA_DRIVE = 2.5  # soft clipping of the PA horn (tanh): light distortion
PA_WET = 0.6
# the hall a PA speaks in (an RT60 of a sports hall; far from the listener); its RIR comes from
# aorgen.render.room like the clips' rooms, through the same cache
PA_HALL = RoomSpec(pool_index=-1, dims_m=(30.0, 20.0, 9.0), rt60_s=1.4, source_m=(3.0, 10.0, 6.0),
                   mic_m=(22.0, 7.0, 1.5), wet=PA_WET, apply_to_background=False)


@lru_cache(maxsize=None)
def _bandpass(low: float, high: float, sample_rate: int) -> np.ndarray:
    return scipy.signal.butter(4, [low, min(high, 0.45 * sample_rate)], btype="bandpass", fs=sample_rate,
                               output="sos")


def band_limit(x: np.ndarray, sample_rate: int, low: float, high: float) -> np.ndarray:
    return scipy.signal.sosfilt(_bandpass(low, high, sample_rate), x).astype(np.float32)


def apply_channel(x: np.ndarray, sample_rate: int, channel: str, hall=None) -> np.ndarray:
    """``x`` through ``channel``; ``hall`` (a room.RoomResponse of PA_HALL) for the loudspeaker."""
    if channel == "direct":
        return np.asarray(x, dtype=np.float32)
    y = band_limit(x, sample_rate, *BANDS[channel])
    if channel == "loudspeaker":
        peak = float(np.max(np.abs(y))) or 1.0
        y = (np.tanh(PA_DRIVE * y / peak) / np.tanh(PA_DRIVE) * peak).astype(np.float32)
        if hall is not None:
            y = hall.apply(np.concatenate([y, np.zeros(int(HALL_TAIL_S * sample_rate), dtype=np.float32)]), PA_WET)
    return y.astype(np.float32)
