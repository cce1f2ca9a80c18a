"""The intelligibility gate: between plan and render, Whisper hears each clip's mixture where
the SNR can mask it (the v1 recipe: every mixture, whole, as listen.py hears it) and its
speech stem (the speech as the clip carries it, room included, no background) unless the
mixture already fails; a clip whose speech (or, with ``redraw_on_mixture``, mixture) is heard
with too many word errors, or that Whisper is unsure of, is drawn again from the next
attempt's seed (``plan.redraw``: same script, voice group, SNR band and rate, so the balance
holds) and dropped, with its reason, after the recipe's ``attempts``; ``gate_pairs`` does the
same for the minimal pairs in a new scene, re-drawing their scene.

Cheap without being weakened: each clip is heard once, its transcripts cached by the
transcriber and its spec (the render is a function of the spec, so a rebuild neither renders
nor hears again), a stem is not heard under a failing mixture, the renders the gate makes
fill the premix cache the build then uses, and checks run on the build's workers."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from aorgen.render.cache import ArrayCache, content_key
from aorgen.dataset.executors import run_tasks
from aorgen.render.intelligibility import SCORERS, ClipCheck, load_transcriber, transcriber_identity
from aorgen.plan.minimal_pairs import NEW_SCENE_PAIRS
from aorgen.plan.planner import Plan
from aorgen.content.recipe import IntelligibilityConfig
from aorgen.render.mix import RENDER_REVISION, RenderContext, decode, render, speech_audio
from aorgen.plan.spec import SampleSpec

CHUNK = 25  # specs per gate task


@dataclass
class Heard:
    """What the gate heard of one spec: its mixture where it was heard, and its speech stem
    unless a failing mixture already settled the verdict (``hear``)."""

    speech: ClipCheck | None
    mixture: ClipCheck | None = None
    snr_db: float | None = None  # the mixture's, when it was heard
    redraw_on_mixture: bool = False
    transcribed: int = 0  # parts Whisper heard now (not found in the ASR cache)

    @property
    def flagged(self) -> bool:
        """Re-drawn when the speech stem fails, and when the mixture fails if the recipe says
        ``redraw_on_mixture``; otherwise a mixture over its threshold only fails the row's QC."""
        return bool(self.speech and self.speech.flagged) or \
            bool(self.redraw_on_mixture and self.mixture and self.mixture.flagged)

    def reason(self) -> str:
        def unsure(check: ClipCheck) -> str:
            return "" if check.confident else ", Whisper unsure"

        parts = [f"speech stem WER {self.speech.wer:.2f} (heard {self.speech.transcript!r}{unsure(self.speech)})"] \
            if self.speech else []
        if self.mixture is not None:
            parts.append(f"mixture WER {self.mixture.wer:.2f} at {self.snr_db:.1f} dB SNR"
                         + ("" if self.speech else f" (heard {self.mixture.transcript!r}{unsure(self.mixture)})"))
        return "; ".join(parts)

    def record(self, attempt: int) -> dict:
        """One line of the build's gate log."""
        return {"id": (self.speech or self.mixture).id, "attempt": attempt,
                "speech_wer": self.speech.wer if self.speech else None,
                "mixture_wer": self.mixture.wer if self.mixture else None,
                "snr_db": self.snr_db, "flagged": self.flagged}


@dataclass
class GateResult:
    specs: list[SampleSpec]
    heard: dict[str, Heard]
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (sample id, reason)
    redrawn: int = 0
    wall_s: float = 0.0
    log: list[dict] = field(default_factory=list)  # every attempt's verdict on every clip (Heard.record)
    transcriptions: int = 0  # clips Whisper heard (cache misses)

    def merge(self, other: "GateResult") -> None:
        """Counts, drops and log of a second gate run (the minimal pairs') added to these."""
        self.heard.update(other.heard)
        self.dropped += other.dropped
        self.redrawn += other.redrawn
        self.log += other.log
        self.transcriptions += other.transcriptions
        self.wall_s += other.wall_s


_TRANSCRIBERS: dict[tuple, object] = {}


class _Lazy:
    """A transcriber loaded on its first clip: a rebuild whose transcripts are all cached
    never loads the model."""

    def __init__(self, config: IntelligibilityConfig) -> None:
        self.config, self._loaded = config, None
        self.listener = config.backend == "faster-whisper" and config.decoding == "listener"
        self.identity = transcriber_identity(config.backend, config.model) + \
            ("-listener" if self.listener else "" if config.full_window else "-clipwin2")

    def hear(self, samples: np.ndarray, rate: int) -> tuple[str, bool]:
        """(text, whether Whisper's own decoding would keep it): the listener's decoding
        (``FasterWhisperTranscriber.hear``) or, with ``decoding: greedy``, the batched greedy
        decoding, always kept."""
        if self.listener:
            return self._model().hear(samples, rate)
        return self._model().transcribe([(samples, rate)])[0], True

    def _model(self):
        if self._loaded is None:
            options = {"cpu_threads": self.config.cpu_threads, "full_window": self.config.full_window} \
                if self.config.backend == "faster-whisper" else {}
            self._loaded = load_transcriber(self.config.backend, self.config.model, **options)
        return self._loaded


def transcriber_for(config: IntelligibilityConfig):
    """One transcriber per process and configuration."""
    key = (config.backend, config.model, config.cpu_threads) + (() if config.full_window else ("clip window",))
    if key not in _TRANSCRIBERS:
        _TRANSCRIBERS[key] = _Lazy(config)
    return _TRANSCRIBERS[key]


def hear(specs: list[SampleSpec], config: IntelligibilityConfig, ctx: RenderContext) -> dict[str, Heard]:
    """Whisper's verdict on each spec. Where its SNR is below ``mixture_below_snr_db`` the
    mixture is heard first, and the speech stem (the speech as the clip carries it: the room
    and channel applied, no background; the TTS output when the recipe keeps no stems) only
    where the mixture does not already fail: a mixture over a re-drawing ``mixture_threshold``
    is re-drawn whatever the stem (``hear_stem: always`` hears every stem). A mixture heard
    as written does not settle the stem: Whisper sometimes hears the speech better over the
    bed than alone (benchmarks/README.md)."""
    transcriber = transcriber_for(config)
    cache = ArrayCache(ctx.cache_dir, "asr") if ctx.cache_dir else None
    score = SCORERS[config.scoring]
    heard = {}
    for spec in specs:
        clip = _Heard(spec, transcriber, cache, ctx)

        def check(part: str, threshold: float) -> ClipCheck:
            text, confident = clip.transcript(part)
            wer = round(score(spec.transcript, text), 4)
            return ClipCheck(spec.id, spec.transcript, text, wer, wer > threshold or not confident, confident)

        mixture = None
        if config.mixture_threshold is not None and spec.mix.snr_db < config.mixture_below_snr_db:
            mixture = check("mixture", config.mixture_threshold)
        settled = mixture is not None and config.hear_stem == "when needed" and mixture.flagged \
            and config.redraw_on_mixture
        speech = None if settled else check("speech", config.threshold)
        heard[spec.id] = Heard(speech, mixture, spec.mix.snr_db if mixture else None, config.redraw_on_mixture,
                               clip.heard)
    return heard


class _Heard:
    """What Whisper hears in one spec's rendered parts, cached by transcriber and spec (the
    render is a function of the spec), so a rebuild neither renders nor hears again; the
    clip is rendered on the first cache miss only."""

    def __init__(self, spec: SampleSpec, transcriber, cache: ArrayCache | None, ctx: RenderContext) -> None:
        self.spec, self.transcriber, self.cache, self.ctx = spec, transcriber, cache, ctx
        self.spec_json = spec.model_dump_json(exclude={"id"})
        self.rendered = None
        self.heard = 0  # cache misses

    def transcript(self, part: str) -> tuple[str, bool]:
        """(text, confident) of ``part`` ("mixture" or "speech")."""
        key = content_key(f"asr-{part}", self.transcriber.identity, RENDER_REVISION, self.spec_json)
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            return tuple(json.loads(bytes(hit).decode("utf-8")))
        if self.rendered is None:
            self.rendered = render(self.spec, self.ctx)
        if part == "mixture":
            audio = decode(self.rendered.audio)
        elif self.rendered.speech is not None:
            audio = decode(self.rendered.speech)
        else:
            audio = (speech_audio(self.spec.speech, self.spec.sample_rate, self.ctx.speech_cache), self.spec.sample_rate)
        with self.ctx.stage("intelligibility"):
            heard = self.transcriber.hear(*audio)
        self.heard += 1
        if self.cache is not None:
            self.cache.put(key, np.frombuffer(json.dumps(heard).encode("utf-8"), dtype=np.uint8))
        return heard


@dataclass
class _GateTask:
    specs: list[SampleSpec]
    bank_paths: list[str]
    cache_dir: str | None
    config: IntelligibilityConfig


def _gate_task(task: _GateTask) -> tuple[dict[str, Heard], dict[str, float]]:
    from aorgen.dataset.worker import _context  # the worker's render context

    ctx = _context(task.bank_paths, task.cache_dir)
    ctx.timings.clear()
    return hear(task.specs, task.config, ctx), dict(ctx.timings)


def gate(the_plan: Plan, config: IntelligibilityConfig, *, cache_dir: Path | None, workers: int = 1,
         executor: str = "local", address: str | None = None,
         timings: dict[str, float] | None = None,
         progress: Callable[[int, int, int], None] | None = None,
         specs: list[SampleSpec] | None = None,
         redraw: Callable[[SampleSpec, int], SampleSpec] | None = None) -> GateResult:
    """The plan's specs (or ``specs``, re-drawn with ``redraw`` instead of the plan's) after the
    gate: failing clips re-drawn, then dropped after ``attempts``; ``progress(attempt, heard,
    total)`` follows each attempt's clips."""
    start = time.perf_counter()
    specs = the_plan.specs if specs is None else specs
    redraw = the_plan.redraw if redraw is None else redraw
    bank_paths = [str(b.file) for b in the_plan.banks]
    current = {s.id: s for s in specs}
    heard: dict[str, Heard] = {}
    result = GateResult([], heard)
    pending = list(specs)
    if not config.cpu_threads:  # the cores shared among the workers (more threads each only contend)
        config = config.model_copy(update={"cpu_threads": max(1, (os.cpu_count() or 1) // max(1, workers))})
    for attempt in range(config.attempts):
        tasks = [_GateTask(pending[i : i + CHUNK], bank_paths, str(cache_dir) if cache_dir else None, config)
                 for i in range(0, len(pending), CHUNK)]
        done = 0
        for found, spent in run_tasks(_gate_task, tasks, workers=workers, executor=executor, address=address):
            heard.update(found)
            result.log.extend(h.record(attempt + 1) for h in found.values())
            result.transcriptions += sum(h.transcribed for h in found.values())
            done += len(found)
            if progress is not None:
                progress(attempt + 1, done, len(pending))
            for stage, seconds in spent.items():
                if timings is not None:
                    timings[stage] = timings.get(stage, 0.0) + seconds
        failed = [s for s in pending if heard[s.id].flagged]
        if attempt + 1 == config.attempts or redraw is None:
            for spec in failed:
                result.dropped.append((spec.id, f"{config.attempts} attempts; last: {heard[spec.id].reason()}"))
                del current[spec.id]
            break
        pending = [redraw(spec, attempt + 1) for spec in failed]
        result.redrawn += len(pending)
        current.update((s.id, s) for s in pending)
        if not pending:
            break
    result.specs = [current[s.id] for s in specs if s.id in current]
    result.wall_s = time.perf_counter() - start
    return result


def gate_pairs(the_plan: Plan, pairs: list[SampleSpec], config: IntelligibilityConfig, **options) -> GateResult:
    """The minimal pairs after the gate. A pair's speech is its base row's, which the gate kept;
    its own scene and no-scene rows are heard as the base row was, but a pair in a new scene is a
    new mixture: it is heard, its scene re-drawn (``plan.redraw_scene``: bed, events, offset)
    when the mixture fails, and the pair dropped after ``attempts``."""
    new = [p for p in pairs if p.pair_condition in NEW_SCENE_PAIRS]
    result = gate(the_plan, config, specs=new, redraw=the_plan.redraw_scene, **options)
    kept = {s.id: s for s in result.specs}
    result.specs = [kept[p.id] if p.pair_condition in NEW_SCENE_PAIRS else p for p in pairs
                    if p.pair_condition not in NEW_SCENE_PAIRS or p.id in kept]
    return result
