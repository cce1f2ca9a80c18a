"""build(recipe) -> a finished dataset folder: plan, render shards in parallel, write the
card, then move the folder into place atomically. Killed at any point and run again, it
resumes from the shards already written and finishes with the same bytes. Rebuilding over
an existing dataset copies the rows whose spec did not change (see ``reuse``)."""

from __future__ import annotations

import hashlib
import json
import shutil
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from aorgen.render.cache import atomic_write_bytes, default_cache_dir
from aorgen.dataset.card import attribution, card, dataset_license, generation_facts, input_licenses
from aorgen.dataset.card_stats import DatasetStats, tables, write_plots
from aorgen.errors import AorgenError
from aorgen.dataset.executors import run_tasks
from aorgen.dataset.worker import ShardResult, ShardTask, _context, _room_task, render_shard  # noqa: F401  (re-exported)
from aorgen.dataset.folder import (build_lock, complete_shard, discard_on_error as _discard_on_error,  # noqa: F401
                                   drill as _drill, finalise_folder, prepare_out, write_errors)
from aorgen.plan.planner import Plan, plan
from aorgen.content.recipe import Recipe
from aorgen.dataset.reuse import fingerprint, previous_rows, spec_digest
from aorgen.plan.spec import SampleSpec
from aorgen.content.voices import Voice


@dataclass
class BuildSummary:
    folder: Path
    clips: int = 0
    clips_reused: int = 0
    shards: int = 0
    shards_resumed: int = 0
    audio_minutes: float = 0.0
    wall_s: float = 0.0
    qc_failed: int = 0
    timings: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    redrawn: int = 0  # intelligibility gate: clips drawn again
    transcriptions: int = 0  # intelligibility gate: clips Whisper heard (not found in the ASR cache)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (id, reason) the gate dropped
    stage_wall_s: dict[str, float] = field(default_factory=dict)  # wall time of plan, gate, render
    scene_qc: str = ""  # the scene-match check's summary line (aorgen.plan.sceneqc), when it ran
    lead_in_median_s: float | None = None  # the planned lead-in before the speech (median)
    cue_coverage: tuple[int, int] = (0, 0)  # pseudo-harmful clips with a scene speech cue, of all

    def scene_line(self) -> str:
        cued, total = self.cue_coverage
        lead = f"{self.lead_in_median_s:.2f} s" if self.lead_in_median_s is not None else "n/a"
        share = f"{cued / total:.0%} ({cued} of {total})" if total else "n/a (no pseudo-harmful clips)"
        return f"lead-in median {lead}; scene speech cues in {share} pseudo-harmful clips"

    @property
    def clips_per_s(self) -> float:
        return self.clips / self.wall_s if self.wall_s else 0.0

    def describe(self) -> str:
        stages = ", ".join(f"{k} {v:.1f}s" for k, v in sorted(self.timings.items()))
        return (f"{self.clips} clips ({self.audio_minutes:.1f} min of audio, {self.clips_reused} reused "
                f"unchanged) in {self.shards} shards ({self.shards_resumed} resumed) -> {self.folder}\n"
                f"wall {self.wall_s:.1f}s, {self.clips_per_s:.1f} clips/s; QC failures: {self.qc_failed}; "
                f"worker time per stage: {stages or 'none'}\n{self.scene_line()}"
                + ("\nwall per stage: " + ", ".join(f"{k} {v:.1f}s" for k, v in self.stage_wall_s.items())
                   if self.stage_wall_s else "")
                + (f"\nintelligibility gate: {self.transcriptions} transcriptions, {self.redrawn} re-drawn, "
                   f"{len(self.dropped)} dropped"
                   + "".join(f"\n  dropped {i}: {why}" for i, why in self.dropped) if self.dropped or self.redrawn else "")
                + (f"\n{self.scene_qc}" if self.scene_qc else ""))


def shard_specs(specs: list[SampleSpec], shard_size: int) -> list[tuple[str, list[SampleSpec]]]:
    """Shards per (label, split), rows sorted by id, at most ``shard_size`` rows each."""
    groups: dict[tuple[str, str], list[SampleSpec]] = defaultdict(list)
    for spec in specs:
        groups[(spec.config, spec.split)].append(spec)
    shards = []
    for (label, split), group in sorted(groups.items()):
        group.sort(key=lambda s: s.id)
        count = -(-len(group) // shard_size)
        for i in range(count):
            shards.append((f"data/{label}/{split}-{i:05d}-of-{count:05d}.parquet",
                           group[i * shard_size : (i + 1) * shard_size]))
    return shards


def plan_digest(specs: list[SampleSpec]) -> str:
    h = hashlib.sha256()
    for spec in specs:
        h.update(spec.model_dump_json().encode())
    return h.hexdigest()


def check_sources(the_plan: Plan) -> None:
    """Every recording the plan uses exists and matches its sha256, before any rendering."""
    banks = {b.name: b for b in the_plan.banks}
    used = {(s.bank, s.clip_id) for spec in the_plan.specs for s in spec.sources}
    for bank_name, clip_id in sorted(used):
        bank = banks[bank_name]
        clip = bank.clip(clip_id)
        if clip.path is not None:
            bank.read(clip)




def build(recipe: Recipe, out: Path, *, workers: int = 1, cache_dir: Path | None = None,
          overwrite: bool = False, executor: str = "local", address: str | None = None,
          shard: tuple[int, int] | None = None, reuse: bool = True,
          progress: Callable[[int, int], None] | None = None,
          gate_progress: Callable[[int, int, int], None] | None = None) -> BuildSummary:
    """Build ``recipe`` into ``out/<recipe.name>`` (or, with ``shard=(i, n)``, into
    ``out/<name>.shard-i-of-n`` holding every n-th shard, for ``merge``). With ``overwrite``,
    rows of the dataset being replaced whose spec is unchanged are copied unless ``reuse`` is
    False."""
    start = time.perf_counter()
    out = Path(out)
    cache_dir = default_cache_dir() if cache_dir is None else cache_dir
    the_plan = plan(recipe)
    check_sources(the_plan)
    stage_wall = {"plan": time.perf_counter() - start}
    name = recipe.name if shard is None else f"{recipe.name}.shard-{shard[0]}-of-{shard[1]}"
    final = out / name
    if final.exists() and not overwrite:
        raise AorgenError("dataset folder already exists (use --overwrite to replace it)", file=final, field="--out")
    checked = None
    if recipe.scene_qc is not None:  # before the gate: its re-draws keep the checked scene
        from aorgen.plan.sceneqc import scene_qc

        checked = scene_qc(the_plan, recipe.scene_qc, _context([str(b.file) for b in the_plan.banks],
                                                               str(cache_dir) if cache_dir else None),
                           workers=workers, executor=executor, address=address)
        stage_wall["scene QC"] = checked.wall_s
    gated = None
    if recipe.intelligibility is not None:
        from aorgen.plan.gate import gate

        gated = gate(the_plan, recipe.intelligibility, cache_dir=cache_dir, workers=workers,
                     executor=executor, address=address, progress=gate_progress)
        the_plan.specs = gated.specs
        stage_wall["intelligibility gate"] = gated.wall_s
    if the_plan.pairs is not None:  # from the rows the gate kept: the pairs share their speech
        pairs = the_plan.pairs(the_plan.specs)
        if gated is not None:  # the pairs in a new scene are new mixtures: heard too
            from aorgen.plan.gate import gate_pairs

            paired = gate_pairs(the_plan, pairs, recipe.intelligibility, cache_dir=cache_dir, workers=workers,
                                executor=executor, address=address, progress=gate_progress)
            pairs = paired.specs
            gated.merge(paired)
            stage_wall["intelligibility gate"] += paired.wall_s
        the_plan.specs = [*the_plan.specs, *pairs]
    shards = shard_specs(the_plan.specs, recipe.shard_size)
    if shard is not None:
        shards = [s for i, s in enumerate(shards) if i % shard[1] == shard[0]]
    created = not out.exists()
    prepare_out(out)
    summary = BuildSummary(folder=final, shards=len(shards), stage_wall_s=stage_wall)
    if gated is not None:
        summary.redrawn, summary.dropped, summary.transcriptions = gated.redrawn, gated.dropped, gated.transcriptions
    if checked is not None:
        summary.scene_qc = checked.describe(recipe.scene_qc.margin)
    built = [s for _, specs in shards for s in specs]
    summary.lead_in_median_s = statistics.median(s.mix.lead_in_s for s in built) if built else None
    pseudo = [s for s in built if s.label == "pseudo_harmful" and s.pair_condition is None]
    summary.cue_coverage = (sum(1 for s in pseudo if s.cues), len(pseudo))
    staging = out / f".{name}.partial"
    with _discard_on_error(staging, out if created else None), build_lock(out, name), write_errors(staging):
        digest = plan_digest(the_plan.specs)
        marker = staging / ".plan-sha256"
        if staging.exists() and (not marker.exists() or marker.read_text() != digest):
            shutil.rmtree(staging)  # a different recipe was being built here: start over
        staging.mkdir(parents=True, exist_ok=True)
        for torn in staging.rglob(".*.tmp"):  # a write cut short by a killed run
            torn.unlink()
        marker.write_text(digest)

        todo = [(p, specs) for p, specs in shards if not complete_shard(staging / p, len(specs))]
        summary.shards_resumed = len(shards) - len(todo)
        bank_paths = [str(b.file) for b in the_plan.banks]
        cache = str(cache_dir) if cache_dir else None
        render_fingerprint = fingerprint(the_plan.specs, recipe.intelligibility)
        previous = previous_rows(final, render_fingerprint) if reuse and overwrite else {}
        reusable = {spec.id: previous[d] for spec in the_plan.specs
                    if (d := spec_digest(spec.model_dump_json())) in previous}
        todo.sort(key=lambda task: all(s.id in reusable for s in task[1]))  # shards to render first
        rooms = sorted({s.room.pool_index: s.room for _, specs in todo for s in specs
                        if s.room and s.id not in reusable}.items())
        list(run_tasks(_room_task, [(room, recipe.sample_rate, cache) for _, room in rooms],
                       workers=workers, executor=executor, address=address))
        tasks = [ShardTask(p, specs, bank_paths, cache, str(staging), recipe.intelligibility, str(final),
                           {s.id: reusable[s.id] for s in specs if s.id in reusable}) for p, specs in todo]
        done = sum(len(specs) for p, specs in shards) - sum(len(t.specs) for t in tasks)
        total = sum(len(specs) for _, specs in shards)
        if progress:
            progress(done, total)
        render_start = time.perf_counter()
        results = run_tasks(render_shard, tasks, workers=workers, executor=executor, address=address)
        for written, result in enumerate(results, 1):
            summary.clips += result.clips
            summary.clips_reused += result.reused
            summary.audio_minutes += result.audio_s / 60
            summary.qc_failed += result.qc_failed
            for stage, seconds in result.timings.items():
                summary.timings[stage] += seconds
            done += result.clips
            if progress:
                progress(done, total)
            _drill(f"after-shard-{written}")
        stage_wall["render"] = time.perf_counter() - render_start
        write_metadata(staging, recipe, {b.name: str(b.file) for b in the_plan.banks},
                       [s for _, specs in shards for s in specs], render_fingerprint, [*summary.dropped, *the_plan.excluded],
                       voices=the_plan.voices, gate_log=gated.log if gated else None)
        _drill("finalise")
        finalise_folder(staging, final, overwrite)
    summary.wall_s = time.perf_counter() - start
    return summary


def write_metadata(folder: Path, recipe: Recipe, bank_files: dict[str, str], specs: list[SampleSpec],
                   render_fingerprint: dict | None, dropped: list[tuple[str, str]] = (),
                   voices: list[Voice] = (), gate_log: list[dict] | None = None) -> None:
    """Card (with its statistics and plots), ATTRIBUTION, recipe and build record of a dataset
    holding ``specs`` (in any order), whose shards are already in ``folder``; the build record
    keeps the intelligibility gate's verdict on every attempt (``gate_log``)."""
    voices = voices or catalogue_voices(specs)
    terms = dataset_license(input_licenses(specs, voices))
    splits: dict[str, set[str]] = defaultdict(set)
    for spec in specs:
        splits[spec.split].add(spec.config)
    stats = DatasetStats.read(folder)
    readme = card(specs, recipe.name, recipe.version, recipe.description, terms, splits, voices=voices,
                  tables=tables(stats), plots=write_plots(stats, folder),
                  generation=generation_facts(recipe.model_dump(mode="json"), specs, bank_files))
    if dropped:
        readme += ("\n## Left out of this build\n\nClips the intelligibility gate dropped (Whisper could not "
                   "hear them as written after every attempt) and scripts the recipe's licence filter left "
                   "without a scene recording:\n\n" + "".join(f"- `{i}`: {why}\n" for i, why in dropped))
    files = {
        "README.md": readme,
        "ATTRIBUTION.md": attribution(specs, terms),
        "recipe.yaml": yaml.safe_dump(recipe.model_dump(mode="json"), sort_keys=False),
        "build.json": json.dumps({
            "aorgen_recipe": recipe.name,
            "sound_banks": bank_files,
            "clips": len(specs),
            "plan_sha256": plan_digest(sorted(specs, key=lambda s: (s.label, s.split, s.id))),
            "render": render_fingerprint,
            "intelligibility_dropped": [{"id": i, "reason": why} for i, why in dropped],
        } | ({"intelligibility_log": _compact(gate_log)} if gate_log else {}), indent=2) + "\n",
    }
    for filename, text in files.items():
        atomic_write_bytes(folder / filename, text.encode())


def _compact(log: list[dict]) -> dict:
    """A list of records as one column list and one row per record (a short build record)."""
    columns = list(log[0])
    return {"columns": columns, "rows": [json.dumps([r[c] for c in columns]) for r in log]}


def catalogue_voices(specs: list[SampleSpec]) -> list[Voice]:
    """The catalogue entries (with their licences) of the voices ``specs`` use, for a card
    written without the plan at hand (``merge``); engines that cannot load are left out."""
    from aorgen.tts import get_engine

    wanted: dict[str, set[str]] = defaultdict(set)
    for spec in specs:
        wanted[spec.speech.engine].add(spec.speech.voice_id)
    voices = []
    for engine, ids in sorted(wanted.items()):
        try:
            voices += [v for v in get_engine(engine).voices() if v.id in ids]
        except AorgenError:
            continue
    return voices
