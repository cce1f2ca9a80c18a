"""render(spec) -> Rendered: a pure function of the spec and the asset files it names."""

from __future__ import annotations

import io
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from aorgen.render.augment import apply_augmentations
from aorgen.render.cache import ArrayCache, content_key
from aorgen.errors import AorgenError
from aorgen.render.presence import lift
from aorgen.render.loudness import db_to_gain, integrated_loudness, max_momentary_loudness, peak_dbfs
from aorgen.render.room import RoomResponse, impulse_response
from aorgen.render.scene import event_onset, loop_to_length, mix, mix_alone, output_level, place, to_pcm16
from aorgen.content.cues import DURING_START_S
from aorgen.content.soundbank import Bank, Clip, load_bank
from aorgen.plan.spec import RoomSpec, SampleSpec, SourceRef, SpeechSpec
from aorgen.tts import get_engine
from aorgen.content.voices import Voice

SNR_TOLERANCE_DB = 0.5
SILENT_LUFS = -50.0
RENDER_REVISION = 5  # bump when render() gives different bytes for the same spec (row reuse, premix keys)
SPEECH_PIPELINE = 2  # bump when the post-processing of synthesised speech changes (cache keys)


@dataclass
class QC:
    achieved_snr_db: float | None  # None: no background
    peak_dbfs: float
    loudness_lufs: float
    rt60_measured_s: float | None
    limiter_gain_db: float
    passed: bool


@dataclass
class Rendered:
    spec: SampleSpec
    audio: bytes  # encoded mixture
    speech: bytes | None
    background: bytes | None
    duration_s: float
    qc: QC


@dataclass
class RenderContext:
    """What rendering needs besides the spec: the banks by name and the caches."""

    banks: dict[str, Bank]
    cache_dir: Path | None = None
    speech_cache: ArrayCache = field(init=False)
    rir_cache: ArrayCache = field(init=False)

    def __post_init__(self) -> None:
        self.speech_cache = ArrayCache(self.cache_dir, "speech")
        self.rir_cache = ArrayCache(self.cache_dir, "rir")
        self.texture_cache = ArrayCache(self.cache_dir, "texture")
        self.premix_cache = ArrayCache(self.cache_dir, "premix")
        self._sources: dict[tuple[str, str, int], np.ndarray] = {}
        self._levels: dict[tuple[str, str, int], float] = {}
        self._rooms: dict[tuple[RoomSpec, int], RoomResponse] = {}
        self.timings: dict[str, float] = defaultdict(float)

    @contextmanager
    def stage(self, name: str):
        """Accumulate wall time per pipeline stage (speech, scene, room, mix, encode, write)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] += time.perf_counter() - start

    @classmethod
    def from_bank_paths(cls, paths: list[Path], cache_dir: Path | None) -> RenderContext:
        banks = [load_bank(p) for p in paths]
        return cls({b.name: b for b in banks}, cache_dir)

    def source(self, ref: SourceRef, sample_rate: int) -> np.ndarray:
        """A bank entry's samples at ``sample_rate``, checked against the spec's pin."""
        bank = self.bank(ref.bank)
        clip = bank.clip(ref.clip_id)
        if clip.sha256 != ref.sha256:
            raise AorgenError("the bank's clip changed since the spec was made (sha256 differs)",
                              file=bank.file, item=ref.clip_id, field="sha256")
        memo_key = (ref.bank, ref.clip_id, sample_rate)
        if memo_key not in self._sources:
            if clip.generator is not None:  # textures are cached on disk: babble costs TTS time
                key = content_key("texture", clip, sample_rate)
                audio = self.texture_cache.get_or_compute(key, lambda: _resampled(bank, clip, sample_rate))
            else:
                audio = _resampled(bank, clip, sample_rate)
            self._sources[memo_key] = audio
        return self._sources[memo_key]

    def source_level(self, ref: SourceRef, sample_rate: int) -> float:
        """A bank entry's loudness, measured once: integrated for beds, loudest 400 ms for events."""
        key = (ref.bank, ref.clip_id, sample_rate)
        if key not in self._levels:
            audio = self.source(ref, sample_rate)
            clip = self.bank(ref.bank).clip(ref.clip_id)
            measure = integrated_loudness if clip.role == "background" else max_momentary_loudness
            self._levels[key] = measure(audio, sample_rate)
        return self._levels[key]

    def room(self, room: RoomSpec, sample_rate: int) -> RoomResponse:
        """The room's impulse response (from the RIR cache), kept in memory for this worker."""
        key = (room, sample_rate)
        if key not in self._rooms:
            self._rooms[key] = RoomResponse(impulse_response(room, sample_rate, self.rir_cache))
        return self._rooms[key]

    def bank(self, name: str) -> Bank:
        if name not in self.banks:
            raise AorgenError(f"spec names sound bank '{name}', which is not loaded", field="bank")
        return self.banks[name]


def speech_key(speech: SpeechSpec, sample_rate: int) -> str:
    """The speech cache key: engine, engine version, voice, text, prosody, rate (and the
    presence target, when set)."""
    return content_key("speech", SPEECH_PIPELINE, speech.engine, get_engine(speech.engine).version,
                       speech.voice_id, speech.text, speech.prosody, sample_rate,
                       *(() if speech.presence is None else (("presence", speech.presence),)))


def speech_audio(speech: SpeechSpec, sample_rate: int, cache: ArrayCache) -> np.ndarray:
    """Synthesised speech at ``sample_rate`` (its presence lifted where the spec says), cached
    by engine, version, voice, text, prosody."""
    engine = get_engine(speech.engine)
    key = speech_key(speech, sample_rate)

    def compute() -> np.ndarray:
        voice = Voice(engine=speech.engine, id=speech.voice_id, gender=speech.gender, accent=speech.accent)
        out = engine.synthesize(speech.text, voice, speech.prosody)
        samples = _trim_silence(soxr.resample(out.samples, out.sample_rate, sample_rate).astype(np.float32),
                                sample_rate)
        return samples if speech.presence is None else lift(samples, sample_rate, speech.presence)

    return cache.get_or_compute(key, compute)


def _trim_silence(x: np.ndarray, sample_rate: int, threshold_db: float = -50.0) -> np.ndarray:
    frame = int(0.01 * sample_rate)
    energy = _moving_rms(x, frame)
    loud = np.flatnonzero(energy > np.max(energy) * 10 ** (threshold_db / 20))
    return x[max(0, loud[0] - frame) : loud[-1] + frame] if len(loud) else x


def _moving_rms(x: np.ndarray, frame: int) -> np.ndarray:
    """RMS over a centred window of ``frame`` samples, from a running sum (O(n))."""
    half = frame // 2
    running = np.concatenate([[0.0], np.cumsum(np.square(x, dtype=np.float64))])
    padded = np.concatenate([np.zeros(half), running, np.full(half, running[-1])])
    return np.sqrt(np.maximum(padded[2 * half : 2 * half + len(x)] - padded[: len(x)], 0.0) / frame)


def _resampled(bank: Bank, clip: Clip, sample_rate: int) -> np.ndarray:
    data, rate = bank.read(clip)
    return soxr.resample(data, rate, sample_rate).astype(np.float32) if rate != sample_rate else data


def encode(pcm: np.ndarray, sample_rate: int, audio_format: str) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, pcm, sample_rate, format=audio_format.upper(), subtype="PCM_16")
    return buf.getvalue()


def decode(blob: bytes) -> tuple[np.ndarray, int]:
    data, rate = sf.read(io.BytesIO(blob), dtype="float32")
    return data, rate


def render(spec: SampleSpec, ctx: RenderContext) -> Rendered:
    sr = spec.sample_rate
    speech_canvas, background = premix(spec, ctx)
    total = len(background)
    lead_in, tail = _margins(spec)
    span = slice(lead_in, total - tail)
    if spec.cues:
        with ctx.stage("cues"):
            add_cues(spec, ctx, speech_canvas, background)
    rt60_measured = None
    if spec.room is not None:
        with ctx.stage("room"):
            rt60_measured = ctx.room(spec.room, sr).rt60(sr)

    with ctx.stage("mix"):
        mixed = mix(speech_canvas, background, span, spec.mix, sr) if spec.background is not None else \
            mix_alone(speech_canvas, spec.mix, sr)
        mixture, limiter_gain_db, speech = mixed.mixture, mixed.limiter_gain_db, mixed.speech
        if spec.augment:  # augmentations change the level: bring it back to the target
            mixture = apply_augmentations(mixture, sr, spec.augment)
            gain_db, limiter_gain_db = output_level(mixture, spec.mix, sr)
            gain = db_to_gain(gain_db + limiter_gain_db)
            mixture = (mixture * gain).astype(np.float32)
            # the speech stem is the speech through the same channel (room and augmentations)
            speech = (apply_augmentations(speech, sr, spec.augment, skip_additive=True) * gain).astype(np.float32)

    with ctx.stage("encode"):
        pcm = [to_pcm16(x) for x in (mixture, speech)]
        # background stem = mixture − speech stem, so the two stems sum to the mixture exactly;
        # it holds whatever the channel added besides the speech (noise, codec error)
        pcm.append(np.clip(pcm[0].astype(np.int32) - pcm[1], -32768, 32767).astype(np.int16))
        qc = measure_qc(spec, pcm[0] / 32768.0, mixed.achieved_snr_db, limiter_gain_db, rt60_measured)
        audio, speech_bytes, background_bytes = (encode(p, sr, spec.audio_format) for p in pcm)
    return Rendered(
        spec=spec,
        audio=audio,
        speech=speech_bytes if spec.stems else None,
        background=background_bytes if spec.stems else None,
        duration_s=round(total / sr, 4),
        qc=qc,
    )


def add_cues(spec: SampleSpec, ctx: RenderContext, speech_canvas: np.ndarray, background: np.ndarray) -> None:
    """The spec's scene speech cues, through their channels, added to ``background`` (so they
    are part of the background stem): in the lead-in ending before the speech, under the
    speech, or after it without being cut off; each at its level relative to the speech once
    the background is scaled to the SNR (mix() scales it by the loudness over the speech,
    which a cue outside the speech leaves as it is and a cue under it raises)."""
    from aorgen.render.channels import PA_HALL, apply_channel

    sr = spec.sample_rate
    lead_in, tail = _margins(spec)
    total = len(background)
    span = slice(lead_in, total - tail)
    speech_lufs = integrated_loudness(speech_canvas[span], sr)
    bed_lufs = integrated_loudness(background[span], sr)
    gain_db = speech_lufs - spec.mix.snr_db - bed_lufs if bed_lufs > SILENT_LUFS else 0.0  # what mix() applies
    placed = []  # anchor, voice, onset, loudness before the background's gain
    for cue in spec.cues:
        hall = ctx.room(PA_HALL, sr) if cue.channel == "loudspeaker" else None
        voice = apply_channel(speech_audio(cue.speech, sr, ctx.speech_cache), sr, cue.channel, hall)
        onset = cue_onset(cue.anchor, cue.position, len(voice), lead_in, total - tail, total, sr)
        placed.append((cue.anchor, voice, onset, speech_lufs + cue.cue_to_speech_db - integrated_loudness(voice, sr)))
    if bed_lufs > SILENT_LUFS and any(anchor == "during" for anchor, *_ in placed):
        # a cue under the speech is part of what mix() scales to the SNR: find the gain mix()
        # applies with it in (a fixed point; the planner keeps the cue under the background)
        for _ in range(4):
            trial = background[span].copy()
            for anchor, voice, onset, level in placed:
                if anchor == "during":  # only what lies over the speech counts (a long cue may start early)
                    skip = max(0, span.start - onset)
                    place(trial, voice[skip:], onset + skip - span.start, db_to_gain(level - gain_db))
            previous, gain_db = gain_db, speech_lufs - spec.mix.snr_db - integrated_loudness(trial, sr)
            if abs(gain_db - previous) < 0.01:
                break
    for _, voice, onset, level in placed:
        place(background, voice, onset, db_to_gain(level - gain_db))


def cue_onset(anchor: str, position: float, cue_len: int, speech_start: int, speech_end: int, total: int,
              sample_rate: int) -> int:
    """Where a cue starts: in the lead-in from 0.2 s, ending 0.4 s before the speech (at 0 if it
    is too long for that); under the speech from 0.3 s after its start, ending with it where it
    can; or after the speech from 0.25 s. A cue under or after the speech is never cut off by
    the end of the clip (starting earlier if it is too long); ``position`` ∈ [0, 1] within the
    room left."""
    if anchor == "before":
        start, end = int(0.2 * sample_rate), speech_start - int(0.4 * sample_rate)
    elif anchor == "during":
        start = speech_start + int(DURING_START_S * sample_rate)  # aorgen.content.cues' estimate
        onset = int(start + position * max(0, speech_end - start - cue_len))
        return max(0, min(onset, total - cue_len))
    else:
        start, end = speech_end + int(0.25 * sample_rate), total
    onset = int(start + position * max(0, end - start - cue_len))
    return max(0, min(onset, end - cue_len))


def premix(spec: SampleSpec, ctx: RenderContext) -> tuple[np.ndarray, np.ndarray]:
    """Speech and background laid out on the clip's timeline with the room applied: all
    that comes before the levels are set. Kept in the premix cache, so changing the SNR,
    the output level or the augmentations re-mixes without recomposing the scene: the
    background, and the speech when a room changed it (from its onset), as 16-bit samples
    with a scale each (16 bits below each one's peak); dry speech comes from the speech
    cache. The samples are the same whether the entry was just made or read back."""
    sr = spec.sample_rate
    sources = [ctx.bank(s.bank).clip(s.clip_id) for s in spec.sources]
    key = content_key("premix", RENDER_REVISION, speech_key(spec.speech, sr), spec.background, spec.events,
                      sources, spec.room, spec.mix.lead_in_s, spec.mix.tail_s, sr)
    with ctx.stage("premix"):
        stored = ctx.premix_cache.get(key)
    dry = None
    if stored is None:
        dry, speech_canvas, background = _compose(spec, ctx)
        lead_in, _ = _margins(spec)
        stored = (*_quantised(background), *(_quantised(speech_canvas[lead_in:]) if spec.room else ()))
        with ctx.stage("premix"):
            ctx.premix_cache.put(key, stored)
    with ctx.stage("premix"):
        return _restored(spec, stored, ctx, dry)


def _restored(spec: SampleSpec, stored: tuple[np.ndarray, ...], ctx: RenderContext,
              dry: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    sr = spec.sample_rate
    background = stored[0].astype(np.float32) * stored[1][0]
    lead_in, tail = _margins(spec)
    speech_canvas = np.zeros(len(background), dtype=np.float32)
    if spec.room:
        speech_canvas[lead_in:] = stored[2].astype(np.float32) * stored[3][0]
    else:
        speech_canvas[lead_in : len(background) - tail] = dry if dry is not None else \
            speech_audio(spec.speech, sr, ctx.speech_cache)
    return speech_canvas, background


def _compose(spec: SampleSpec, ctx: RenderContext) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dry speech, speech on the timeline with the room applied, background)."""
    sr = spec.sample_rate
    with ctx.stage("speech"):
        speech = speech_audio(spec.speech, sr, ctx.speech_cache)
    lead_in, tail = _margins(spec)
    total = lead_in + len(speech) + tail

    with ctx.stage("scene"):
        speech_canvas = np.zeros(total, dtype=np.float32)
        speech_canvas[lead_in : lead_in + len(speech)] = speech
        if spec.background is None:  # no background: a minimal pair's no_scene row
            return speech, _in_room(spec, ctx, speech_canvas), np.zeros(total, dtype=np.float32)
        bed_source = ctx.source(spec.background.source, sr)
        background = loop_to_length(bed_source, int(spec.background.offset_s * sr), total, sr)
        bed_lufs = ctx.source_level(spec.background.source, sr)
        for event in spec.events:
            clip = ctx.source(event.source, sr)
            onset = event_onset(event.anchor, event.position, len(clip), lead_in, len(speech), total)
            gain_db = bed_lufs + event.event_to_bed_db - ctx.source_level(event.source, sr)
            place(background, clip, onset, db_to_gain(gain_db))

    if spec.room is not None and spec.room.apply_to_background:
        with ctx.stage("room"):
            background = ctx.room(spec.room, sr).apply(background, spec.room.wet)
    return speech, _in_room(spec, ctx, speech_canvas), background


def _in_room(spec: SampleSpec, ctx: RenderContext, speech_canvas: np.ndarray) -> np.ndarray:
    """The speech on its timeline through the spec's room (unchanged without one)."""
    if spec.room is None:
        return speech_canvas
    with ctx.stage("room"):
        return ctx.room(spec.room, spec.sample_rate).apply(speech_canvas, spec.room.wet)


def _margins(spec: SampleSpec) -> tuple[int, int]:
    """Samples of lead-in before the speech and of tail after it."""
    return int(spec.mix.lead_in_s * spec.sample_rate), int(spec.mix.tail_s * spec.sample_rate)


def _quantised(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """16-bit samples and the scale (a one-element array) that restores their level."""
    scale = np.array([max(float(np.max(np.abs(x))), 1e-9) / 32767.0], dtype=np.float32)
    return np.clip(np.round(x / scale[0]), -32767, 32767).astype(np.int16), scale


def measure_qc(spec: SampleSpec, mixture: np.ndarray, achieved_snr_db: float, limiter_gain_db: float,
               rt60_measured: float | None) -> QC:
    """Measured on the 16-bit samples the files hold, as a user of the dataset would
    (the SNR on the stems by ``scene.measured_snr``)."""
    peak = peak_dbfs(mixture)
    loudness = integrated_loudness(mixture, spec.sample_rate)
    alone = spec.background is None  # no background, no SNR
    passed = (
        (alone or abs(achieved_snr_db - spec.mix.snr_db) <= SNR_TOLERANCE_DB)
        and peak <= spec.mix.max_peak_dbfs + 1e-3
        and loudness > SILENT_LUFS
    )
    return QC(None if alone else round(achieved_snr_db, 3), round(peak, 3), round(loudness, 3), rt60_measured,
              round(limiter_gain_db, 3), bool(passed))
