"""plan(recipe) -> specs: pure and cheap, no audio touched (DESIGN invariant 2).

Balanced factors (voice group, SNR band, rate) are assigned round-robin over each
(label, category) list; every other choice comes from the sample's own RNG, seeded from
(recipe seed, sample id), so the plan is the same whatever the order or number of workers.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from aorgen.render.augment import check_step, draw_params
from aorgen.errors import AorgenError
from aorgen.content.licenses import allowed, voice_allowed
from aorgen.content.cues import with_cues
from aorgen.content.recipe import Recipe
from aorgen.render.room import draw_room_pool
from aorgen.content.soundbank import Bank, Clip, load_bank
from aorgen.plan.spec import (AugmentSpec, BackgroundSpec, EventSpec, MixSpec, RoomSpec, SampleSpec,
                         SourceRef, SpeechSpec)
from aorgen.content.templates import CATEGORIES, LABELS, LoadedScript, load_templates
from aorgen.content.textnorm import normalise
from aorgen.tts import Prosody, get_engine
from aorgen.content.voices import Voice, group_voices, select_voices


def seeded_rng(seed: int, name: str) -> np.random.Generator:
    digest = hashlib.sha256(f"{seed}/{name}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def split_of(script_id: str, test_fraction: float) -> str:
    """Split by script (never by clip), stable across seeds and recipes."""
    digest = hashlib.sha256(f"split/{script_id}".encode()).digest()
    return "test" if int.from_bytes(digest[:8], "little") / 2**64 < test_fraction else "train"


@dataclass
class Plan:
    recipe: Recipe
    specs: list[SampleSpec]
    banks: list[Bank]
    voices: list[Voice]
    # (spec, attempt) -> the spec drawn again from that attempt's seed (the intelligibility gate)
    redraw: Callable[[SampleSpec, int], SampleSpec] | None = None
    # (script id, reason) of scripts the recipe's licence filter left without a scene recording
    excluded: list[tuple[str, str]] = field(default_factory=list)
    # (spec, attempt) -> the spec with only its scene (bed, events, context) drawn again (scene QC)
    redraw_scene: Callable[[SampleSpec, int], SampleSpec] | None = None
    # kept specs -> their audio minimal pairs (recipe ``minimal_pairs``), drawn after the gate
    pairs: Callable[[list[SampleSpec]], list[SampleSpec]] | None = None


def _ref(bank: Bank, clip: Clip) -> SourceRef:
    return SourceRef(bank=bank.name, clip_id=clip.id, sha256=clip.sha256,
                     license=clip.license, attribution=clip.attribution)


class _Scenes:
    """Beds and events per scene tag; recordings preferred over procedural textures."""

    def __init__(self, banks: list[Bank], licenses: list[str] | None = None,
                 exclude_licenses: list[str] | None = None) -> None:
        self.beds: dict[str, list[tuple[Bank, Clip]]] = defaultdict(list)
        self.textures: dict[str, list[tuple[Bank, Clip]]] = defaultdict(list)
        self.events: dict[str, list[tuple[Bank, Clip]]] = defaultdict(list)
        for bank in banks:
            for clip in bank.catalogue.clips:
                if clip.contains_speech or not allowed(clip.license, licenses, exclude_licenses):
                    continue
                for tag in clip.scene_tags:
                    if clip.role == "event":
                        self.events[tag].append((bank, clip))
                    elif clip.generator is not None:
                        self.textures[tag].append((bank, clip))
                    else:
                        self.beds[tag].append((bank, clip))

    @property
    def tags(self) -> set[str]:
        return set(self.beds) | set(self.textures) | set(self.events)

    def pick_bed(self, tags: tuple[str, ...], rng: np.random.Generator, texture_probability: float):
        beds = [c for t in tags for c in self.beds[t]]
        textures = [c for t in tags for c in self.textures[t]]
        if not beds or (textures and rng.random() < texture_probability):
            beds = textures
        return beds[rng.integers(len(beds))] if beds else None

    def pick_events(self, tags: tuple[str, ...], count: int, rng: np.random.Generator):
        events = list({(b.name, c.id): (b, c) for t in tags for b, c in self.events[t]}.values())
        # a tag with fewer event clips than asked repeats one (two whistles, two volleys): the
        # lead-in gets its two cues
        picks = rng.choice(len(events), size=count, replace=count > len(events)) if events else []
        return [events[i] for i in sorted(picks)]


def rendered_context(bed: Clip, events: list[Clip]) -> str:
    """What a listener hears behind the speech, from the catalogue cues of the clips drawn (the
    ``context`` column; the script's intended context is kept apart)."""
    def cue(clip: Clip) -> str:
        return clip.context_cue or clip.id.replace("-", " ").replace("_", " ")

    sounds = list(dict.fromkeys(cue(c) for c in events if cue(c) != cue(bed)))
    text = cue(bed)
    if sounds:
        text += "; over it: " + "; ".join(sounds)
    return text[:1].upper() + text[1:] + "."


def load_voices(recipe: Recipe) -> list[Voice]:
    chosen: list[Voice] = []
    for wanted in recipe.voices.select:
        catalogue = get_engine(wanted.engine).voices()
        chosen.extend(v for v in select_voices(catalogue, wanted, file=str(recipe.source))
                      if voice_allowed(v, recipe.licenses, recipe.exclude_licenses))
    if not chosen:
        raise AorgenError("the recipe's licence filter leaves no voice", file=str(recipe.source),
                          field="licenses")
    return list(dict.fromkeys(chosen))


def plan(recipe: Recipe) -> Plan:
    scripts = load_templates([recipe.resolve(t) for t in recipe.templates])
    banks = [load_bank(recipe.resolve(b)) for b in recipe.sound_banks]
    named: dict[str, Bank] = {}
    for bank in banks:
        if named.setdefault(bank.name, bank).file != bank.file:
            raise AorgenError(f"two banks are named '{bank.name}' ({named[bank.name].file} and {bank.file})",
                              file=str(recipe.source), field="sound_banks")
    scenes = _Scenes(banks, recipe.licenses, recipe.exclude_licenses)
    unfiltered = _Scenes(banks, None, None) if recipe.licenses is not None or recipe.exclude_licenses else scenes
    excluded = []
    for item in scripts:
        missing = [t for t in item.script.scene_tags if t not in unfiltered.tags]
        if missing:
            raise AorgenError(f"scene tag '{missing[0]}' is in no sound bank",
                              file=f"{item.file}:{item.line}", item=item.script.id, field="scene_tags")
        tags = item.script.scene_tags
        recorded = any(unfiltered.beds[t] for t in tags)
        if scenes is not unfiltered and (
                (recorded and not any(scenes.beds[t] for t in tags))
                or not any(scenes.beds[t] or scenes.textures[t] for t in tags)):
            # the scene exists, but only in recordings the licence filter leaves out
            excluded.append((item.script.id, f"no recording of {', '.join(tags)} passes the licence filter"))
    if excluded:
        dropped = {sid for sid, _ in excluded}
        scripts = [s for s in scripts if s.script.id not in dropped]
        if not scripts:
            raise AorgenError("no script is left by the licence filter (no scene recording passes it)",
                              file=str(recipe.source), field="licenses")
    for index, step in enumerate(recipe.augment):
        check_step(step.name, step.params, recipe.sample_rate, file=str(recipe.source), index=index)
    voices = load_voices(recipe)
    groups = group_voices(voices, recipe.voices.balance)
    rooms = room_levels(recipe, draw_room_pool(recipe.room, seeded_rng(recipe.seed, "rooms")))
    categories = recipe.categories or [c for c in CATEGORIES if any(s.category == c for s in scripts)]

    cued = _cuer(recipe, voices)
    specs: list[SampleSpec] = []
    slots: dict[str, tuple[int, list[LoadedScript]]] = {}
    for label in LABELS:
        count = recipe.samples_per_category.get(label, 0)
        for category in categories:
            pool = sorted((s for s in scripts if s.label == label and s.category == category),
                          key=lambda s: s.script.id)
            if not count:
                continue
            if not pool:
                why = " left by the licence filter (no scene recording passes it)" if excluded else ""
                raise AorgenError(f"no {label} scripts for category '{category}'{why}",
                                  file=str(recipe.source), field="samples_per_category")
            order = [pool[i] for i in seeded_rng(recipe.seed, f"order/{label}/{category}").permutation(len(pool))]
            for k in range(count):
                specs.append(cued(_sample(recipe, k, order, groups, rooms, scenes)))
                slots[specs[-1].id] = (k, order)

    def redraw(spec: SampleSpec, attempt: int) -> SampleSpec:
        k, order = slots[spec.id]
        return cued(_sample(recipe, k, order, groups, rooms, scenes, attempt), attempt)

    def redraw_scene(spec: SampleSpec, attempt: int) -> SampleSpec:
        rng = seeded_rng(recipe.seed, f"{spec.id}/scene-attempt-{attempt}")
        bed, picked, events = _draw_scene(recipe, scenes, spec.scene_tags, rng, spec.id, spec.script_id)
        return spec.model_copy(update={
            "background": BackgroundSpec(source=_ref(*bed), offset_s=round(float(rng.uniform(0, bed[1].duration_s)), 3)),
            "events": events, "context": with_cues(rendered_context(bed[1], [clip for _, clip in picked]), spec.cues),
            "scene_attempt": attempt})

    pairs = None
    if recipe.minimal_pairs is not None:
        from aorgen.plan.minimal_pairs import check_neutral_tags, pair_specs

        check_neutral_tags(recipe, scenes)

        def pairs(kept: list[SampleSpec]) -> list[SampleSpec]:
            return pair_specs(recipe, kept, scripts, scenes, cued)

    return Plan(recipe, specs, banks, voices, redraw, excluded, redraw_scene, pairs)


def _draw_scene(recipe: Recipe, scenes: _Scenes, tags: tuple[str, ...], rng: np.random.Generator, where: str,
                item: str):
    """(bed, picked event clips, EventSpecs) of a scene, drawn from ``rng``."""
    scene = recipe.scene
    bed = scenes.pick_bed(tags, rng, scene.procedural_bed_probability)
    if bed is None:
        raise AorgenError("no background bed for these scene tags", file=where, item=item, field="scene_tags")
    n_events = int(rng.integers(int(scene.events.low), int(scene.events.high) + 1))
    picked = scenes.pick_events(tags, n_events, rng)
    events = tuple(
        EventSpec(
            source=_ref(bank, clip),
            anchor="before" if i < 2 else str(rng.choice(["before", "during", "after"])),
            position=round(float(rng.random()), 4),
            event_to_bed_db=round(float(rng.uniform(scene.event_to_bed_db.low, scene.event_to_bed_db.high)), 2),
        )
        for i, (bank, clip) in enumerate(picked)
    )
    return bed, picked, events


def _cuer(recipe: Recipe, voices: list[Voice]) -> Callable[..., SampleSpec]:
    """spec, attempt -> the spec with its scene speech cues (aorgen.content.cues), drawn from RNGs of
    their own so that a recipe without cues plans exactly as before: where a clip has cues once
    per clip (a re-drawn clip keeps them), what they are per attempt."""
    if not (recipe.cues.probability or recipe.cues.during_probability or recipe.cues.after_probability):
        return lambda spec, attempt=0: spec
    from aorgen.content.cues import cue_anchors, draw_cues, load_cues

    book = load_cues(recipe.resolve(recipe.cues.file) if recipe.cues.file else None)

    def cued(spec: SampleSpec, attempt: int = 0) -> SampleSpec:
        name = f"{spec.id}/cues" + (f"/attempt-{attempt}" if attempt else "")
        anchors = cue_anchors(recipe.cues, seeded_rng(recipe.seed, f"{spec.id}/cue-anchors"))  # kept on re-draws
        return draw_cues(spec, book, voices, recipe, seeded_rng(recipe.seed, name), anchors)

    return cued


def room_levels(recipe: Recipe, pool: list[RoomSpec]) -> list[RoomSpec | None]:
    """The pool's rooms plus enough 'no room' levels that, taken round-robin, a share
    ``room.probability`` of the clips is in a room."""
    p = recipe.room.probability
    if p <= 0:
        return [None]
    return [*pool, *[None] * round(len(pool) * (1 - p) / p)]


def _balanced(k: int, n: int, period: int) -> int:
    """Index k of a factor with n levels that cycles fast (balanced even for few samples)
    and shifts by one every ``period`` samples of the factors before it, so that jointly
    with them every combination comes up in turn."""
    return (k + k // math.lcm(period, n)) % n


def _pitch(voice: Voice, drawn: float) -> float:
    """The pitch a clip records: the drawn factor where the engine applies it, else 1.0 (the
    factor is drawn for every voice, so the draws after it do not depend on the engine)."""
    return drawn if voice.pitch else 1.0


def _sample(recipe: Recipe, k: int, order: list[LoadedScript], groups: list[list[Voice]],
            rooms: list[RoomSpec | None], scenes: _Scenes, attempt: int = 0) -> SampleSpec:
    """Sample k of a (label, category) list; ``attempt`` > 0 draws it again from another seed
    (same script, voice group, SNR band, rate, and whether it is in a room: the balance is kept)."""
    item = order[k % len(order)]
    script, rep = item.script, k // len(order)
    sample_id = f"{script.id}-{rep:03d}"
    rng = seeded_rng(recipe.seed, sample_id if attempt == 0 else f"{sample_id}/attempt-{attempt}")
    bands = recipe.scene.snr_bands_db
    rates = recipe.voices.rates
    group = groups[k % len(groups)]
    band = bands[_balanced(k, len(bands), len(groups))]
    rate = rates[_balanced(k, len(rates), math.lcm(len(groups), len(bands)))]
    voice = group[rng.integers(len(group))]
    variants = script.variants()
    transcript = variants[rep % len(variants)]
    style = script.style if script.style in voice.styles else "neutral"  # only what the engine renders

    scene = recipe.scene
    bed, picked, events = _draw_scene(recipe, scenes, script.scene_tags, rng, f"{item.file}:{item.line}",
                                        script.id)
    room = rooms[_balanced(k, len(rooms), math.lcm(len(groups), len(bands), len(rates)))]
    if attempt and room is not None:  # a re-draw keeps "in a room or not" but may change the room
        pool = [r for r in rooms if r is not None]
        room = pool[int(rng.integers(len(pool)))]
    augment = tuple(
        AugmentSpec(name=step.name, params=draw_params(step.name, step.params, rng, file=str(recipe.source)))
        for step in recipe.augment
        if rng.random() < step.probability
    )
    return SampleSpec(
        id=sample_id,
        category=item.category,
        label=item.label,  # type: ignore[arg-type]
        split=split_of(script.id, recipe.split.test_fraction),  # type: ignore[arg-type]
        script_id=script.id,
        transcript=transcript,
        scene_tags=script.scene_tags,
        context=rendered_context(bed[1], [clip for _, clip in picked]),
        rationale=script.rationale,
        harm_type=script.harm_type,
        intended_context=script.context,
        style=style,
        speech=SpeechSpec(
            engine=voice.engine, voice_id=voice.id, gender=voice.gender, accent=voice.accent,
            text=normalise(transcript),
            prosody=Prosody(rate=rate, pitch=_pitch(voice, round(float(rng.uniform(recipe.voices.pitch.low,
                                                                                 recipe.voices.pitch.high)), 3)),
                            style=style),
            presence=recipe.voices.presence,
        ),
        background=BackgroundSpec(source=_ref(*bed), offset_s=round(float(rng.uniform(0, bed[1].duration_s)), 3)),
        events=events,
        room=room,
        mix=MixSpec(
            snr_db=round(float(rng.uniform(band.low, band.high)), 2),
            lead_in_s=round(float(rng.uniform(scene.lead_in_s.low, scene.lead_in_s.high)), 3),
            tail_s=round(float(rng.uniform(scene.tail_s.low, scene.tail_s.high)), 3),
            target_lufs=scene.target_lufs,
            max_peak_dbfs=scene.max_peak_dbfs,
        ),
        augment=augment,
        sample_rate=recipe.sample_rate,
        audio_format=recipe.audio_format,
        stems=recipe.stems,
        attempt=attempt,
    )
