"""Rooms: pyroomacoustics shoeboxes whose measured RT60 matches the target."""

from __future__ import annotations

import numpy as np
import pytest

from aorgen.render.cache import ArrayCache
from aorgen.content.recipe import RoomConfig
from aorgen.render.room import apply_room, draw_room_pool, impulse_response, measure_rt60


def test_measured_rt60_is_within_ten_percent_of_the_target(tmp_path):
    pool = draw_room_pool(RoomConfig(pool_size=5, rt60_s={"low": 0.2, "high": 0.9}), np.random.default_rng(3))
    cache = ArrayCache(tmp_path, "rir")
    for room in pool:
        rir = impulse_response(room, 16000, cache)
        assert measure_rt60(rir, 16000) == pytest.approx(room.rt60_s, rel=0.10)
        for pos in (room.source_m, room.mic_m):
            assert all(0 < p < d for p, d in zip(pos, room.dims_m))
    assert cache.stats.misses == 5
    again = impulse_response(pool[0], 16000, cache)
    assert cache.stats.hits == 1 and np.array_equal(again, impulse_response(pool[0], 16000, cache))


def test_a_larger_rt60_gives_a_longer_decay(tmp_path):
    cache = ArrayCache(None, "rir")
    base = draw_room_pool(RoomConfig(pool_size=1), np.random.default_rng(0))[0]
    dry = base.model_copy(update={"rt60_s": 0.25})
    wet = base.model_copy(update={"rt60_s": 0.8})
    impulse = np.zeros(16000, dtype=np.float32)
    impulse[0] = 1.0

    def tail_energy(room):
        out = apply_room(impulse, impulse_response(room, 16000, cache), wet=1.0)
        return float(np.sum(out[4000:] ** 2))

    assert tail_energy(wet) > 10 * tail_energy(dry)
