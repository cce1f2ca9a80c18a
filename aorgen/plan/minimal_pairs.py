"""Audio minimal pairs (issue 16): every test-split pseudo-harmful row the build keeps is
rendered again with the same voice, words, room, levels and augmentations in other acoustic
contexts, so that a model can be compared with itself on the same words:

| pair_condition  | background                                                          |
| --------------- | ------------------------------------------------------------------- |
| `own_scene`     | the script's own scene (the same audio as its pseudo_harmful row)   |
| `no_scene`      | none                                                                |
| `other_scene`   | a neutral scene of another category (recipe ``neutral_scene_tags``) |
| `harmful_scene` | a scene that supports the harmful reading (the script's ``harmful_scene_tags``), where it names one |

The pairs are drawn after the intelligibility gate, from the rows it kept (their speech is the
speech the gate heard). The pair rows form the dataset config ``minimal_pairs``; ``pair_of`` is
the base row's id. The base row is the script's first kept test row (lowest id), so one pair set
per script."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable

from aorgen.errors import AorgenError
from aorgen.plan.spec import BackgroundSpec, EventSpec, SampleSpec
from aorgen.content.templates import LoadedScript

PAIR_CONDITIONS = ("own_scene", "no_scene", "other_scene", "harmful_scene")
NEW_SCENE_PAIRS = ("other_scene", "harmful_scene")  # pairs whose mixture is not their base row's (gated again)
_SUFFIX = {"own_scene": "own", "no_scene": "none", "other_scene": "other", "harmful_scene": "harm"}


def check_neutral_tags(recipe, scenes) -> None:
    """Every neutral scene tag of the recipe is in a sound bank."""
    for tag in recipe.minimal_pairs.neutral_scene_tags:
        if tag not in scenes.tags:
            raise AorgenError(f"scene tag '{tag}' is in no sound bank", file=str(recipe.source),
                              field="minimal_pairs.neutral_scene_tags")


def tag_categories(scripts: list[LoadedScript]) -> dict[str, str]:
    """The category each scene tag belongs to: the one whose scripts use it most."""
    uses: dict[str, Counter] = defaultdict(Counter)
    for item in scripts:
        for tag in item.script.scene_tags:
            uses[tag][item.category] += 1
    return {tag: counter.most_common(1)[0][0] for tag, counter in uses.items()}


def base_specs(specs: list[SampleSpec]) -> dict[str, SampleSpec]:
    """script id -> the first test-split pseudo_harmful spec of that script."""
    bases: dict[str, SampleSpec] = {}
    for spec in sorted(specs, key=lambda s: s.id):
        if spec.label == "pseudo_harmful" and spec.split == "test" and spec.pair_condition is None:
            bases.setdefault(spec.script_id, spec)
    return bases


def pair_specs(recipe, specs: list[SampleSpec], scripts: list[LoadedScript], scenes,
               cued: Callable[[SampleSpec], SampleSpec] = lambda spec: spec) -> list[SampleSpec]:
    """The minimal-pair specs of the kept ``specs`` (``scenes``: the plan's beds and events per
    tag; ``cued``: a spec with the scene speech cues of its scene drawn, as the plan draws them)."""
    from aorgen.plan.planner import _ref, rendered_context, seeded_rng

    neutral_tags = recipe.minimal_pairs.neutral_scene_tags
    by_id = {item.script.id: item for item in scripts}
    categories = tag_categories(scripts)
    with_bed = {tag for tag in scenes.tags if scenes.beds.get(tag) or scenes.textures.get(tag)}
    out: list[SampleSpec] = []
    for script_id, base in sorted(base_specs(specs).items()):
        item = by_id[script_id]
        script = item.script

        def pair(condition: str, **changes) -> SampleSpec:
            return base.model_copy(update={"id": f"{base.id}-{_SUFFIX[condition]}", "pair_condition": condition,
                                           "pair_of": base.id, **changes})

        def in_scene(condition: str, tags: tuple[str, ...]) -> SampleSpec:
            """The base row over another scene: a bed and as many events, at the same timing and levels."""
            rng = seeded_rng(recipe.seed, f"pairs/{condition}/{base.id}")
            bank, clip = scenes.pick_bed(tags, rng, recipe.scene.procedural_bed_probability)
            picked = scenes.pick_events(tags, len(base.events), rng)
            events = tuple(EventSpec(source=_ref(b, c), anchor=old.anchor, position=old.position,
                                     event_to_bed_db=old.event_to_bed_db) for (b, c), old in zip(picked, base.events))
            background = BackgroundSpec(source=_ref(bank, clip), offset_s=round(float(rng.uniform(0, clip.duration_s)), 3))
            return cued(pair(condition, background=background, events=events, scene_tags=tags, cues=(),
                             context=rendered_context(clip, [c for _, c in picked])))

        out.append(pair("own_scene"))
        out.append(pair("no_scene", background=None, events=(), scene_tags=(), cues=(),
                        context="No background: the speech alone, in the same room."))
        own = set(script.scene_tags) | set(script.harmful_scene_tags)
        others = [t for t in neutral_tags if t in with_bed and t not in own and categories.get(t) != item.category]
        if others:
            tag = others[seeded_rng(recipe.seed, f"pairs/other-tag/{base.id}").integers(len(others))]
            out.append(in_scene("other_scene", (tag,)))
        harmful = tuple(t for t in script.harmful_scene_tags if t in with_bed)
        if harmful:
            out.append(in_scene("harmful_scene", harmful))
    return out
