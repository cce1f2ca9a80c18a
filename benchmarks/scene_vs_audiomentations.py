"""Scene rendering per clip: aorgen's render path against an audiomentations-only pipeline
doing the same work on the same clips, in one run. Prints a markdown table.

    python benchmarks/scene_vs_audiomentations.py                 # 200 clips at 16 kHz
    python benchmarks/scene_vs_audiomentations.py --clips 40      # quick

The clips are the first N pseudo-harmful specs of the v1 release recipe with a room on every
clip, no augmentation and recorded beds only (built-in bank). Their espeak speech is
synthesised once, before timing, and both pipelines start from the same samples: aorgen reads
it from its speech cache, audiomentations gets the padded speech canvas in memory.

aorgen (`render()`, warm caches): the bed looped to length with crossfades, 1-2 events placed
before/during/after the speech at a level relative to the bed's BS.1770 loudness, the speech
convolved with its room's impulse response (24 rooms, RIRs computed once and cached), the bed
scaled to the SNR by BS.1770 loudness over the speech, the sum brought to -23 LUFS under a
-1 dBFS peak ceiling; then QC (SNR, peak, loudness) and three FLAC encodes (mixture and two
stems). The "same work" row is its speech+scene+room+mix stages only (no QC, no encoding).

audiomentations (`Compose`): `RoomSimulator` on the speech canvas (same size and RT60
ranges, `calculation_mode="rt60"`), then `AddBackgroundNoise` with the same bed files (written
at 16 kHz, so no resampling) and SNR range (RMS-based), `AddShortNoises` with the same event
files (1-2 per clip), and `LoudnessNormalization` to -23 LUFS. RoomSimulator builds a room
and computes a new RIR on every call (with air absorption, which aorgen leaves out); the bed
files are read from disk per call. Two RoomSimulator settings are timed:
  * ray tracing with image sources up to order 3 (its default mode): the RIR reaches the
    target RT60, as aorgen's does (aorgen corrects its shoebox until within 8 %);
  * image sources only, order 4 (its docstring's advice for rt60 mode): fast, but the tail
    is short whatever the target (measured RT60 printed below).
  Image sources up to the Sabine order, as aorgen's shoebox uses, are not an option: in
  RoomSimulator's polyhedral room one call at order 24 ran for over 8 minutes.
Both pipelines are warmed up before timing (first calls import and JIT-compile).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf


def plan_specs(clips: int, sample_rate: int):
    from aorgen.plan.planner import plan
    from aorgen.content.recipe import load_recipe

    recipe = load_recipe()
    categories = 6
    recipe.samples_per_category = {"pseudo_harmful": -(-clips // categories)}
    recipe.room.probability = 1.0
    recipe.augment = []
    recipe.scene.procedural_bed_probability = 0.0
    recipe.sample_rate = sample_rate
    the_plan = plan(recipe)
    return recipe, the_plan.banks, the_plan.specs[:clips]


def audiomentations_pipeline(recipe, bed_files: list[Path], event_files: list[Path], ray_tracing: bool):
    import importlib.util

    import audiomentations as am

    if importlib.util.find_spec("loudness") is None:
        raise SystemExit("audiomentations' LoudnessNormalization needs the 'loudness' package: pip install loudness")

    room, scene = recipe.room, recipe.scene
    return am.Compose([
        am.RoomSimulator(
            min_size_x=room.length_m.low, max_size_x=room.length_m.high,
            min_size_y=room.width_m.low, max_size_y=room.width_m.high,
            min_size_z=room.height_m.low, max_size_z=room.height_m.high,
            min_target_rt60=room.rt60_s.low, max_target_rt60=room.rt60_s.high, calculation_mode="rt60",
            min_source_x=0.5, max_source_x=room.length_m.high, min_source_y=0.5, max_source_y=room.width_m.high,
            min_source_z=1.4, max_source_z=1.8, min_mic_distance=1.0, max_mic_distance=3.0, padding=0.5,
            use_ray_tracing=ray_tracing, max_order=3 if ray_tracing else 4, leave_length_unchanged=True, p=1.0,
        ),
        am.AddBackgroundNoise(sounds_path=bed_files, min_snr_db=scene.snr_bands_db[0].low,
                              max_snr_db=scene.snr_bands_db[-1].high, noise_rms="relative", p=1.0),
        am.AddShortNoises(sounds_path=event_files, min_snr_db=-8.0, max_snr_db=0.0,
                          min_time_between_sounds=1.5, max_time_between_sounds=4.0, burst_probability=0.01, p=1.0),
        am.LoudnessNormalization(min_lufs=scene.target_lufs, max_lufs=scene.target_lufs, p=1.0),
    ])


def timed(fn, items, after=None) -> list[float]:
    """Milliseconds per call of ``fn(item)``; ``after()`` runs untimed after each call."""
    times = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        times.append((time.perf_counter() - start) * 1000)
        if after:
            after()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=200)
    parser.add_argument("--sample-rate", type=int, default=16000)
    parser.add_argument("--warmup", type=int, default=5, help="untimed clips per pipeline first")
    parser.add_argument("--uncached-clips", type=int, default=20,
                        help="clips for the extra row with aorgen's RIR cache off (0: skip)")
    args = parser.parse_args()
    sr = args.sample_rate

    from aorgen.render.cache import ArrayCache
    from aorgen.render.mix import RenderContext, render, speech_audio
    from aorgen.render.room import impulse_response

    recipe, banks, specs = plan_specs(args.clips, sr)
    with tempfile.TemporaryDirectory() as tmp:
        ctx = RenderContext({b.name: b for b in banks}, Path(tmp) / "cache")
        t0 = time.perf_counter()
        speech = {s.id: speech_audio(s.speech, sr, ctx.speech_cache) for s in specs}  # synthesised once
        for room in {s.room for s in specs}:
            impulse_response(room, sr, ctx.rir_cache)
        files: dict[str, Path] = {}
        for ref in {ref for s in specs for ref in s.sources}:  # the same audio, at 16 kHz, as files
            files[ref.clip_id] = Path(tmp) / f"{ref.clip_id}.wav"
            sf.write(files[ref.clip_id], ctx.source(ref, sr), sr, subtype="FLOAT")
        setup_s = time.perf_counter() - t0
        beds = sorted({files[s.background.source.clip_id] for s in specs})
        events = sorted({files[e.source.clip_id] for s in specs for e in s.events})
        canvases = {s.id: np.concatenate([np.zeros(int(s.mix.lead_in_s * sr), np.float32), speech[s.id],
                                          np.zeros(int(s.mix.tail_s * sr), np.float32)]) for s in specs}
        pipelines = {tracing: audiomentations_pipeline(recipe, beds, events, tracing) for tracing in (True, False)}
        rirs: dict[bool, list[tuple[float, np.ndarray]]] = {True: [], False: []}
        same_work: list[float] = []
        stage_names = ("speech", "scene", "room", "mix")

        def run_aorgen(spec):
            before = sum(ctx.timings[k] for k in stage_names)
            render(spec, ctx)
            same_work.append((sum(ctx.timings[k] for k in stage_names) - before) * 1000)

        def run_audiomentations(spec, tracing):
            pipelines[tracing](samples=canvases[spec.id], sample_rate=sr)

        def keep_rir(tracing):  # outside the timed call: the RIR RoomSimulator just used, and its target
            room = pipelines[tracing].transforms[0]
            rirs[tracing].append((room.parameters["target_rt60"], room.room.rir[0][0]))

        random.seed(0)
        np.random.seed(0)
        for spec in specs[: args.warmup]:
            run_aorgen(spec)
            for tracing in pipelines:
                run_audiomentations(spec, tracing)
        same_work.clear()
        stages_before = dict(ctx.timings)
        aorgen_ms = timed(run_aorgen, specs)
        same_work_ms = list(same_work)
        stages = {k: (v - stages_before.get(k, 0.0)) * 1000 / len(specs) for k, v in ctx.timings.items()}
        audiomentations_ms = {tracing: timed(lambda s, t=tracing: run_audiomentations(s, t), specs,
                                             after=lambda t=tracing: keep_rir(t)) for tracing in pipelines}
        uncached_ms = []
        if args.uncached_clips:
            ctx.rir_cache = ArrayCache(None, "rir")  # no cache: every clip computes its RIR again
            uncached_ms = timed(run_aorgen, specs[: args.uncached_clips])

    def row(name, times, does):
        return (f"| {name} | {len(times)} | {statistics.median(times):.1f} | {statistics.mean(times):.1f} | "
                f"{does} |")

    def rt60_ratio(tracing) -> str:
        from aorgen.render.room import measure_rt60

        ratios = [measure_rt60(rir, sr) / target for target, rir in rirs[tracing]]
        return f"measured/target RT60 median {statistics.median(ratios):.2f}"

    print(f"{len(specs)} clips at {sr} Hz, {len(beds)} bed files, {len(events)} event files, "
          f"{len({s.room for s in specs})} rooms; setup (espeak synthesis, RIRs, files) {setup_s:.1f} s\n")
    print("| pipeline | clips | median ms/clip | mean ms/clip | does |")
    print("| --- | --- | --- | --- | --- |")
    print(row("aorgen `render()`", aorgen_ms, "scene + cached RIR (within 8 % of the RT60) + BS.1770 mix "
              "+ QC + 3 FLAC encodes"))
    print(row("aorgen, same work only", same_work_ms, "its speech-cache read, scene, room and mix stages"))
    print(row("audiomentations, RoomSimulator ray tracing", audiomentations_ms[True],
              "new RIR per call (ISM order 3 + ray tracing), " + rt60_ratio(True)
              + "; AddBackgroundNoise, AddShortNoises, LoudnessNormalization"))
    print(row("audiomentations, RoomSimulator ISM order 4", audiomentations_ms[False],
              "new RIR per call (image sources only), " + rt60_ratio(False) + "; same other transforms"))
    if uncached_ms:
        print(row("aorgen `render()`, RIR cache off", uncached_ms, "as the first row, shoebox RIR computed per clip"))
    base = statistics.median(audiomentations_ms[True])
    print(f"\nmedian ratio audiomentations (ray tracing) / aorgen: {base / statistics.median(aorgen_ms):.1f}x "
          f"(full render), {base / statistics.median(same_work_ms):.1f}x (same work); "
          f"ISM order 4 / aorgen same work: "
          f"{statistics.median(audiomentations_ms[False]) / statistics.median(same_work_ms):.1f}x")
    print("aorgen ms/clip per stage: " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(stages.items())))

if __name__ == "__main__":
    main()
