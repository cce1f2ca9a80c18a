"""The scene-match check: does a clip's background sound like its scene?

A CLAP model (transformers ``ClapModel`` + ``ClapProcessor``, by Hub id or local folder)
embeds each clip's background stem (bed and events on the clip's timeline, no speech) and
one text per scene tag the banks cover ("the sound of a chess tournament"). The clip's
*margin* is its similarity to its own scene's text (the best of its tags) minus the best
similarity to any other scene's text. A clip below the recipe's margin gets its scene drawn
again (``Plan.redraw_scene``: bed, events and context only, from the seed
``<id>/scene-attempt-<n>``, so the build stays a pure function of the recipe), up to
``attempts`` draws; the draw with the best margin is kept and its margin recorded in the
spec (``scene_margin``, ``scene_attempt``), so it reaches the dataset's ``spec`` column.

It runs before the intelligibility gate, whose re-draws then keep the checked scene. Audio
embeddings are cached (kind ``clap``) by model and background, so a rebuild scores nothing
again.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

import numpy as np

from aorgen.render.cache import ArrayCache, content_key
from aorgen.errors import AorgenError
from aorgen.dataset.executors import run_tasks
from aorgen.plan.planner import Plan
from aorgen.content.recipe import SceneQCConfig
from aorgen.render.mix import RENDER_REVISION, RenderContext, premix, speech_key
from aorgen.plan.spec import SampleSpec


def scene_text(tag: str, config: SceneQCConfig) -> str:
    return config.texts.get(tag) or config.prompt.format(scene=tag.replace("_", " "))


class ClapScorer:
    """Unit-norm CLAP embeddings of audio and text (one model per process and name)."""

    def __init__(self, model: str) -> None:
        import torch
        from transformers import ClapModel, ClapProcessor

        try:
            self.processor = ClapProcessor.from_pretrained(model)
            self.model = ClapModel.from_pretrained(model).eval()
        except (OSError, ValueError) as exc:
            raise AorgenError(f"cannot load the CLAP model '{model}': {exc}".splitlines()[0],
                              field="scene_qc.model") from None
        self.torch = torch
        self.sample_rate = int(self.processor.feature_extractor.sampling_rate)

    def _unit(self, out) -> np.ndarray:
        emb = getattr(out, "pooler_output", out)  # transformers 5 returns a model output
        emb = emb.detach().float().numpy()
        return emb / np.maximum(np.linalg.norm(emb, axis=-1, keepdims=True), 1e-12)

    def texts(self, texts: list[str]) -> np.ndarray:
        inputs = self.processor(text=texts, return_tensors="pt", padding=True)
        with self.torch.inference_mode():
            return self._unit(self.model.get_text_features(input_ids=inputs["input_ids"],
                                                           attention_mask=inputs.get("attention_mask")))

    def audio(self, clips: list[tuple[np.ndarray, int]]) -> np.ndarray:
        import soxr

        waves = [soxr.resample(x.astype(np.float32), sr, self.sample_rate) if sr != self.sample_rate else
                 x.astype(np.float32) for x, sr in clips]
        # The feature extractor crops clips over 10 s at random and, in a batch with no long clip,
        # marks a random one as long: each clip alone, with numpy's global RNG seeded (and then
        # restored), so a clip's embedding depends on nothing but its samples.
        state = np.random.get_state()
        try:
            parts = []
            for wave in waves:
                np.random.seed(0)
                parts.append(self.processor(audio=[wave], sampling_rate=self.sample_rate, return_tensors="pt"))
        finally:
            np.random.set_state(state)
        features = self.torch.cat([p["input_features"] for p in parts])
        longer = self.torch.cat([p["is_longer"] for p in parts]) if "is_longer" in parts[0] else None
        with self.torch.inference_mode():
            return self._unit(self.model.get_audio_features(input_features=features, is_longer=longer))


_SCORERS: dict[str, ClapScorer] = {}


def scorer_for(model: str) -> ClapScorer:
    if model not in _SCORERS:
        _SCORERS[model] = ClapScorer(model)
    return _SCORERS[model]


def margins(audio: np.ndarray, text: np.ndarray, own: list[set[int]]) -> list[float]:
    """Per clip: best cosine similarity to its own scene texts minus the best to any other."""
    sims = audio @ text.T
    out = []
    for row, mine in zip(sims, own):
        others = [s for j, s in enumerate(row) if j not in mine]
        out.append(float(max(row[j] for j in mine) - (max(others) if others else -1.0)))
    return out


@dataclass
class SceneQCResult:
    specs: list[SampleSpec]
    redrawn: int = 0  # re-draws made
    failed: list[str] = field(default_factory=list)  # ids still below the margin after every attempt
    wall_s: float = 0.0

    def describe(self, threshold: float) -> str:
        scored = [s.scene_margin for s in self.specs if s.scene_margin is not None]
        if not scored:
            return "scene QC: no clip scored"
        passed = sum(m >= threshold for m in scored)
        return (f"scene QC: {passed}/{len(scored)} pass ({100 * passed / len(scored):.1f} %), median margin "
                f"{statistics.median(scored):.3f} (threshold {threshold:g}), {self.redrawn} re-drawn")


CHUNK = 25  # specs per stem task


@dataclass
class _StemTask:
    indices: list[int]
    specs: list[SampleSpec]
    bank_paths: list[str]
    cache_dir: str | None


def _stem_task(task: _StemTask) -> tuple[list[int], list[np.ndarray]]:
    """Background stems of a chunk of specs, rendered on a build worker (the premixes it makes
    fill the cache the gate and the render then read)."""
    from aorgen.dataset.build import _context  # the worker's render context (build imports this module)

    ctx = _context(task.bank_paths, task.cache_dir)
    return task.indices, [premix(spec, ctx)[1] for spec in task.specs]


def _embeddings(specs: list[SampleSpec], config: SceneQCConfig, ctx: RenderContext, bank_paths: list[str],
                workers: int, executor: str, address: str | None) -> np.ndarray:
    """CLAP embeddings of the specs' background stems, cached by model and background."""
    cache = ArrayCache(ctx.cache_dir, "clap") if ctx.cache_dir else None
    keys = [content_key("clap", config.model, RENDER_REVISION, speech_key(s.speech, s.sample_rate),
                        s.background, s.events, s.room, s.mix.lead_in_s, s.mix.tail_s, s.sample_rate)
            for s in specs]
    found: dict[int, np.ndarray] = {}
    for i, key in enumerate(keys):
        if cache is not None and (hit := cache.get(key)) is not None:
            found[i] = np.asarray(hit)
    todo = [i for i in range(len(specs)) if i not in found]
    cache_dir = str(ctx.cache_dir) if ctx.cache_dir else None
    tasks = [_StemTask(todo[k: k + CHUNK], [specs[i] for i in todo[k: k + CHUNK]], bank_paths, cache_dir)
             for k in range(0, len(todo), CHUNK)]
    for indices, stems in run_tasks(_stem_task, tasks, workers=workers, executor=executor, address=address):
        scorer = scorer_for(config.model)
        for k in range(0, len(indices), config.batch_size):
            with ctx.stage("scene qc"):
                emb = scorer.audio([(x, specs[i].sample_rate) for i, x in
                                    zip(indices[k: k + config.batch_size], stems[k: k + config.batch_size])])
            for i, e in zip(indices[k: k + config.batch_size], emb):
                found[i] = e
                if cache is not None:
                    cache.put(keys[i], e)
    return np.stack([found[i] for i in range(len(specs))]) if specs else np.zeros((0, 1))


def scene_qc(the_plan: Plan, config: SceneQCConfig, ctx: RenderContext, *, workers: int = 1,
             executor: str = "local", address: str | None = None) -> SceneQCResult:
    """The plan's specs with their scenes checked (and re-drawn where below the margin);
    ``the_plan.redraw`` is wrapped so the intelligibility gate's re-draws keep the checked scene."""
    start = time.perf_counter()
    tags = sorted({t for bank in the_plan.banks for clip in bank.catalogue.clips for t in clip.scene_tags})
    index = {t: i for i, t in enumerate(tags)}
    text = scorer_for(config.model).texts([scene_text(t, config) for t in tags])
    best: dict[str, SampleSpec] = {}
    result = SceneQCResult([])
    pending = list(the_plan.specs)
    for attempt in range(config.attempts):
        embedded = _embeddings(pending, config, ctx, [str(b.file) for b in the_plan.banks], workers, executor, address)
        scores = margins(embedded, text,
                         [{index[t] for t in s.scene_tags} for s in pending])
        low = []
        for spec, margin in zip(pending, scores):
            spec = spec.model_copy(update={"scene_margin": round(margin, 4)})
            if spec.id not in best or margin > best[spec.id].scene_margin:
                best[spec.id] = spec
            if margin < config.margin:
                low.append(spec)
        if not low or attempt + 1 == config.attempts or the_plan.redraw_scene is None:
            result.failed = [s.id for s in low]
            break
        pending = [the_plan.redraw_scene(s, attempt + 1) for s in low]
        result.redrawn += len(pending)
    result.specs = [best[s.id] for s in the_plan.specs]
    the_plan.specs = result.specs
    if the_plan.redraw is not None:
        the_plan.redraw = _keeping_scene(the_plan.redraw)
    result.wall_s = time.perf_counter() - start
    return result


def _keeping_scene(redraw):
    def redraw_keeping_scene(spec: SampleSpec, attempt: int) -> SampleSpec:
        keep = ("background", "events", "context", "scene_attempt", "scene_margin")
        return redraw(spec, attempt).model_copy(update={k: getattr(spec, k) for k in keep})
    return redraw_keeping_scene
