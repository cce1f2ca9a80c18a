"""The intelligibility gate: between plan and render, Whisper hears every clip's speech stem
(the speech as the clip carries it, room included, no background) and its mixture where the
SNR can mask it (the v1 recipe: every mixture, whole, as a listener hears it); a clip whose
speech (or, with ``redraw_on_mixture``, mixture) is heard with too many word errors is drawn
again from the next attempt's seed (``plan.redraw``: same script, voice group, SNR band and
rate, so the balance holds) and dropped, with its reason, after the recipe's ``attempts``.

Cheap without being weakened: each clip is heard once, its transcripts cached by the
transcriber and its spec (the render is a function of the spec, so a rebuild neither renders
nor hears again), optionally the encoder window fits the clip (``full_window: false``), the
renders the gate makes fill the premix cache the build then uses, and checks run on the
build's workers."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from aorgen.render.cache import ArrayCache, content_key
from aorgen.dataset.executors import run_tasks
from aorgen.render.intelligibility import SCORERS, ClipCheck, load_transcriber, transcriber_identity
from aorgen.plan.planner import Plan
from aorgen.content.recipe import IntelligibilityConfig
from aorgen.render.mix import RENDER_REVISION, RenderContext, decode, render, speech_audio
from aorgen.plan.spec import SampleSpec

CHUNK = 25  # specs per gate task


@dataclass
class Heard:
    """What the gate heard of one spec."""

    speech: ClipCheck
    mixture: ClipCheck | None = None
    snr_db: float | None = None  # the mixture's, when it was heard
    redraw_on_mixture: bool = False

    @property
    def flagged(self) -> bool:
        """Re-drawn when the speech stem fails, and when the mixture fails if the recipe says
        ``redraw_on_mixture``; otherwise a mixture over its threshold only fails the row's QC."""
        return self.speech.flagged or bool(self.redraw_on_mixture and self.mixture and self.mixture.flagged)

    def reason(self) -> str:
        parts = [f"speech stem WER {self.speech.wer:.2f} (heard {self.speech.transcript!r})"]
        if self.mixture is not None:
            parts.append(f"mixture WER {self.mixture.wer:.2f} at {self.snr_db:.1f} dB SNR")
        return "; ".join(parts)


@dataclass
class GateResult:
    specs: list[SampleSpec]
    heard: dict[str, Heard]
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (sample id, reason)
    redrawn: int = 0
    wall_s: float = 0.0


_TRANSCRIBERS: dict[tuple, object] = {}


class _Lazy:
    """A transcriber loaded on its first clip: a rebuild whose transcripts are all cached
    never loads the model."""

    def __init__(self, config: IntelligibilityConfig) -> None:
        self.config, self._loaded = config, None
        self.identity = transcriber_identity(config.backend, config.model) + ("" if config.full_window else "-clipwin2")

    def transcribe(self, audio, batch_size: int = 8) -> list[str]:
        if self._loaded is None:
            options = {"cpu_threads": self.config.cpu_threads, "full_window": self.config.full_window} \
                if self.config.backend == "faster-whisper" else {}
            self._loaded = load_transcriber(self.config.backend, self.config.model, **options)
        return self._loaded.transcribe(audio, batch_size)


def transcriber_for(config: IntelligibilityConfig):
    """One transcriber per process and configuration."""
    key = (config.backend, config.model, config.cpu_threads) + (() if config.full_window else ("clip window",))
    if key not in _TRANSCRIBERS:
        _TRANSCRIBERS[key] = _Lazy(config)
    return _TRANSCRIBERS[key]


def hear(specs: list[SampleSpec], config: IntelligibilityConfig, ctx: RenderContext) -> dict[str, Heard]:
    """Whisper's verdict on each spec's speech stem (the speech as the clip carries it: the
    room applied, no background; the TTS output when the recipe keeps no stems) and, where its
    SNR is below ``mixture_below_snr_db``, on its mixture."""
    transcriber = transcriber_for(config)
    cache = ArrayCache(ctx.cache_dir, "asr") if ctx.cache_dir else None
    heard = {}
    for spec in specs:
        wanted = ["speech"]
        if config.mixture_threshold is not None and spec.mix.snr_db < config.mixture_below_snr_db:
            wanted.append("mixture")
        texts = _transcripts(spec, wanted, transcriber, cache, ctx, config.batch_size)
        checks = []
        for part, threshold in zip(wanted, (config.threshold, config.mixture_threshold)):
            wer = round(SCORERS[config.scoring](spec.transcript, texts[part]), 4)
            checks.append(ClipCheck(spec.id, spec.transcript, texts[part], wer, wer > threshold))
        heard[spec.id] = Heard(checks[0], *(checks[1:2] or [None]), spec.mix.snr_db if len(checks) > 1 else None,
                               config.redraw_on_mixture)
    return heard


def _transcripts(spec: SampleSpec, parts: list[str], transcriber, cache: ArrayCache | None,
                 ctx: RenderContext, batch_size: int = 8) -> dict[str, str]:
    """What Whisper hears in the spec's rendered ``parts``, cached by transcriber and spec (the
    render is a function of the spec), so a rebuild neither renders nor hears again."""
    spec_json = spec.model_dump_json(exclude={"id"})
    keys = {p: content_key(f"asr-{p}", transcriber.identity, RENDER_REVISION, spec_json) for p in parts}
    found = {}
    for part, key in keys.items():
        if cache is not None and (hit := cache.get(key)) is not None:
            found[part] = bytes(hit).decode("utf-8")
    todo = [p for p in parts if p not in found]
    if not todo:
        return found
    rendered = render(spec, ctx)
    audio = {"mixture": decode(rendered.audio)}
    audio["speech"] = decode(rendered.speech) if rendered.speech is not None else \
        (speech_audio(spec.speech, spec.sample_rate, ctx.speech_cache), spec.sample_rate)
    with ctx.stage("intelligibility"):
        texts = transcriber.transcribe([audio[p] for p in todo], batch_size)
    for part, text in zip(todo, texts):
        found[part] = text
        if cache is not None:
            cache.put(keys[part], np.frombuffer(text.encode("utf-8"), dtype=np.uint8))
    return found


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
         progress: Callable[[int, int, int], None] | None = None) -> GateResult:
    """The plan's specs after the gate: failing clips re-drawn, then dropped after ``attempts``;
    ``progress(attempt, heard, total)`` follows each attempt's clips."""
    start = time.perf_counter()
    bank_paths = [str(b.file) for b in the_plan.banks]
    current = {s.id: s for s in the_plan.specs}
    heard: dict[str, Heard] = {}
    result = GateResult([], heard)
    pending = list(the_plan.specs)
    for attempt in range(config.attempts):
        tasks = [_GateTask(pending[i : i + CHUNK], bank_paths, str(cache_dir) if cache_dir else None, config)
                 for i in range(0, len(pending), CHUNK)]
        done = 0
        for found, spent in run_tasks(_gate_task, tasks, workers=workers, executor=executor, address=address):
            heard.update(found)
            done += len(found)
            if progress is not None:
                progress(attempt + 1, done, len(pending))
            for stage, seconds in spent.items():
                if timings is not None:
                    timings[stage] = timings.get(stage, 0.0) + seconds
        failed = [s for s in pending if heard[s.id].flagged]
        if attempt + 1 == config.attempts or the_plan.redraw is None:
            for spec in failed:
                result.dropped.append((spec.id, f"{config.attempts} attempts; last: {heard[spec.id].reason()}"))
                del current[spec.id]
            break
        pending = [the_plan.redraw(spec, attempt + 1) for spec in failed]
        result.redrawn += len(pending)
        current.update((s.id, s) for s in pending)
        if not pending:
            break
    result.specs = [current[s.id] for s in the_plan.specs if s.id in current]
    result.wall_s = time.perf_counter() - start
    return result
