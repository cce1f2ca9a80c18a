"""Simulated rooms: pyroomacoustics shoeboxes sized from an RT60 target (inverse Sabine)."""

from __future__ import annotations

import numpy as np

from aorgen.render.cache import ArrayCache, content_key
from aorgen.content.recipe import RoomConfig
from aorgen.plan.spec import RoomSpec

_RT60_TOLERANCE = 0.08  # relative; the absorption is corrected until the measure is this close
_MAX_CORRECTIONS = 3
_MIN_WALL_DISTANCE_M = 0.5


def draw_room_pool(config: RoomConfig, rng: np.random.Generator) -> list[RoomSpec]:
    """``config.pool_size`` rooms (sizes, RT60, positions) drawn once per recipe seed."""
    rooms = []
    for index in range(config.pool_size):
        dims = tuple(round(float(rng.uniform(r.low, r.high)), 3)
                     for r in (config.length_m, config.width_m, config.height_m))
        rooms.append(RoomSpec(
            pool_index=index,
            dims_m=dims,  # type: ignore[arg-type]
            rt60_s=round(float(rng.uniform(config.rt60_s.low, config.rt60_s.high)), 3),
            source_m=_position(dims, rng, height=(1.4, 1.8)),
            mic_m=_position(dims, rng, height=(1.0, 1.6)),
            wet=round(float(rng.uniform(config.wet.low, config.wet.high)), 3),
            apply_to_background=config.apply_to_background,
        ))
    return rooms


def _position(dims: tuple[float, ...], rng: np.random.Generator, height: tuple[float, float]):
    m = _MIN_WALL_DISTANCE_M
    return (
        round(float(rng.uniform(m, dims[0] - m)), 3),
        round(float(rng.uniform(m, dims[1] - m)), 3),
        round(float(rng.uniform(min(height[0], dims[2] - m), min(height[1], dims[2] - m))), 3),
    )


def _simulate(room: RoomSpec, sample_rate: int, rt60_design: float) -> np.ndarray:
    import pyroomacoustics as pra

    absorption, max_order = pra.inverse_sabine(rt60_design, list(room.dims_m))
    shoebox = pra.ShoeBox(
        list(room.dims_m), fs=sample_rate, materials=pra.Material(absorption),
        max_order=max_order, air_absorption=False,
    )
    shoebox.add_source(list(room.source_m))
    shoebox.add_microphone(list(room.mic_m))
    shoebox.compute_rir()
    return np.asarray(shoebox.rir[0][0], dtype=np.float64)


def measure_rt60(rir: np.ndarray, sample_rate: int) -> float:
    """RT60 from the Schroeder decay (T30, extrapolated to 60 dB)."""
    import pyroomacoustics as pra

    return float(pra.experimental.measure_rt60(rir, fs=sample_rate, decay_db=30))


def impulse_response(room: RoomSpec, sample_rate: int, cache: ArrayCache) -> np.ndarray:
    """The room's RIR, normalised to a unit direct path; the shoebox's absorption is
    corrected until the measured RT60 is within 8 % of the target. Cached by room."""

    def compute() -> np.ndarray:
        design = room.rt60_s
        for _ in range(_MAX_CORRECTIONS):
            rir = _simulate(room, sample_rate, design)
            measured = measure_rt60(rir, sample_rate)
            if abs(measured / room.rt60_s - 1) <= _RT60_TOLERANCE:
                break
            design *= room.rt60_s / measured
        return (rir / np.max(np.abs(rir))).astype(np.float32)

    return cache.get_or_compute(content_key("rir", room, sample_rate), compute)


def apply_room(dry: np.ndarray, rir: np.ndarray, wet: float) -> np.ndarray:
    """Dry signal convolved with the RIR (aligned to the direct path), mixed wet/dry."""
    return RoomResponse(rir).apply(dry, wet)


class RoomResponse:
    """A room's RIR ready to apply many times: aligned to its direct path, with its spectrum
    memoised per FFT size (powers of two, so clips of similar length share one)."""

    def __init__(self, rir: np.ndarray) -> None:
        self.rir = rir
        self._tail = np.asarray(rir[int(np.argmax(np.abs(rir))):], dtype=np.float32)
        self._spectra: dict[int, np.ndarray] = {}
        self._rt60: dict[int, float] = {}

    def rt60(self, sample_rate: int) -> float:
        """Measured once (T30), as recorded on every row that uses the room."""
        if sample_rate not in self._rt60:
            self._rt60[sample_rate] = round(measure_rt60(self.rir, sample_rate), 4)
        return self._rt60[sample_rate]

    def apply(self, dry: np.ndarray, wet: float) -> np.ndarray:
        import scipy.fft

        n = 1 << (len(dry) + len(self._tail) - 2).bit_length()
        if n not in self._spectra:
            self._spectra[n] = scipy.fft.rfft(self._tail, n)
        reverberant = scipy.fft.irfft(scipy.fft.rfft(np.asarray(dry, dtype=np.float32), n) * self._spectra[n], n)
        return (wet * reverberant[: len(dry)] + (1 - wet) * dry).astype(np.float32)
