"""Scene speech cues: short background lines that name the situation (an announcer, a referee,
a director calling "action!", a museum guide, TV dialogue, a PA), scripted per scene tag in a
content file (templates/cues/cues.yaml), linted like the templates and drawn into the spec
(the voice, the line, the channel, where and how loud) from each sample's own RNG."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from aorgen.render.channels import HALL_TAIL_S
from aorgen.errors import AorgenError
from aorgen.content.recipe import CueConfig, Recipe
from aorgen.resources import TEMPLATES_DIR
from aorgen.plan.spec import CueSpec, SampleSpec, SpeechSpec
from aorgen.content.textnorm import normalise
from aorgen.tts import Prosody
from aorgen.content.voices import Voice, same_speaker
from aorgen.common.yamlio import load_model

DEFAULT_CUES = TEMPLATES_DIR / "cues" / "cues.yaml"
MIN_WORDS, MAX_WORDS = 3, 10
MIN_LINES, MAX_LINES = 3, 6
# a plan-time estimate of a line's length (no audio is touched when planning): the offline
# voices say 2.7-3.0 words a second, short lines with pauses as few as 1.85
WORDS_PER_S = 2.2
LEAD_MARGIN_S = 0.6  # the cue starts 0.2 s into the clip and ends 0.4 s before the speech
DURING_START_S = 0.3  # a cue under the speech starts this long after the speech does
SHORT_WORDS = 4  # every tag has a line this short: it fits the shortest (3 s) lead-in
# a cue names the benign situation; none of these words (or their forms) may appear in one
HARMFUL_WORDS = (
    "kill", "murder", "shoot", "gun", "bomb", "explosive", "weapon", "knife", "stab", "poison",
    "drug", "blood", "attack", "assault", "steal", "hack", "die", "dead", "death", "suicide",
    "hostage", "terror", "strangle", "choke", "burn", "torture", "rifle", "bullet", "grenade",
)
_HARMFUL = re.compile(r"\b(" + "|".join(HARMFUL_WORDS) + r")(s|ed|ing|er|ers|ly)?\b", re.IGNORECASE)

Channel = Literal["direct", "loudspeaker", "tv", "radio", "phone"]


class CueTag(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: str = Field(min_length=1)  # announcer, referee, coach, director, guide, lecturer, tv, ...
    channel: Channel = "direct"
    lines: tuple[str, ...] = Field(min_length=1)


class CueFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tags: dict[str, CueTag] = Field(min_length=1)


@dataclass(frozen=True)
class CueBook:
    """The cues of one content file, by scene tag, with the line each tag starts on."""

    file: Path
    tags: dict[str, CueTag]
    lines: dict[str, int]


def load_cues(path: str | Path | None = None) -> CueBook:
    path = Path(path) if path else DEFAULT_CUES
    if not path.is_file():
        raise AorgenError("cue file not found", file=path, field="cues.file")
    parsed = load_model(path, CueFile)
    where = {}
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = re.match(r"\s{2}([a-z0-9_]+):\s*$", text)
        if match:
            where.setdefault(match.group(1), number)
    return CueBook(path, dict(parsed.tags), where)


def lint_cues(book: CueBook, needed_tags: set[str], known_tags: set[str] | None = None) -> list[str]:
    """Problems as 'file:line: tag: field: message': every tag in ``needed_tags`` (those of the
    pseudo-harmful scripts) has 3-6 lines of 3-10 words, none empty, repeated or with a harmful
    word; tags no sound bank knows are flagged when ``known_tags`` is given."""
    problems = []

    def report(tag: str, field: str, message: str) -> None:
        problems.append(f"{book.file}:{book.lines.get(tag, 0)}: {tag}: {field}: {message}")

    for tag in sorted(needed_tags - set(book.tags)):
        problems.append(f"{book.file}: {tag}: tags: no cues for a scene tag of the pseudo-harmful scripts")
    for tag, cue in sorted(book.tags.items()):
        if known_tags is not None and tag not in known_tags:
            report(tag, "tags", "unknown scene tag (not in any sound bank)")
        if not MIN_LINES <= len(cue.lines) <= MAX_LINES:
            report(tag, "lines", f"{len(cue.lines)} lines, outside {MIN_LINES}-{MAX_LINES}")
        seen = set()
        for line in cue.lines:
            words = len(line.split())
            if not words:
                report(tag, "lines", "an empty line")
                continue
            if not MIN_WORDS <= words <= MAX_WORDS:
                report(tag, "lines", f"{words} words, outside {MIN_WORDS}-{MAX_WORDS}: {line!r}")
            if (hit := _HARMFUL.search(line)) is not None:
                report(tag, "lines", f"harmful word '{hit.group(0)}': {line!r}")
            key = normalise(line).lower()
            if key in seen:
                report(tag, "lines", f"repeated line: {line!r}")
            seen.add(key)
        if cue.lines and min(len(x.split()) for x in cue.lines) > SHORT_WORDS:
            report(tag, "lines", f"no line of at most {SHORT_WORDS} words (one that fits a 3 s lead-in)")
    return problems


def cue_anchors(config: CueConfig, rng: np.random.Generator) -> list[str]:
    """Where a clip has cues (the lead-in, under the speech, after it), one draw per anchor."""
    shares = (("before", config.probability), ("during", config.during_probability),
              ("after", config.after_probability))
    return [anchor for anchor, p in shares if rng.random() < p]


def draw_cues(spec: SampleSpec, book: CueBook, voices: list[Voice], recipe: Recipe,
              rng: np.random.Generator, anchors: list[str] | None = None) -> SampleSpec:
    """``spec`` with its cues drawn (none for a clip the probabilities leave out or a scene
    with no cues) and its ``context`` saying what they are. ``anchors`` (drawn from ``rng``
    when not given) says where. The voice is never the foreground speaker's, nor one built
    from the same person's recordings; the lead-in line is one whose estimated length leaves
    the speech room, the line under the speech one that ends before the clip does; a cue
    under the speech lies ``during_below_background_db`` under the whole background there
    (the SNR's), about as loud as the bed beside it."""
    config = recipe.cues
    tags = [t for t in spec.scene_tags if t in book.tags]
    speaker = next((v for v in voices if (v.engine, v.id) == (spec.speech.engine, spec.speech.voice_id)),
                   Voice(engine=spec.speech.engine, id=spec.speech.voice_id))
    others = [v for v in voices if not same_speaker(v, speaker)]
    wanted = cue_anchors(config, rng) if anchors is None else anchors
    if not tags or not others or not wanted or spec.background is None:
        return spec
    tag = tags[int(rng.integers(len(tags)))]
    entry = book.tags[tag]
    lines = list(entry.lines)
    voice = others[int(rng.integers(len(others)))]
    cues = []
    for anchor in wanted:
        if anchor == "before":  # a line that fits the lead-in (the shortest if none does)
            tail = HALL_TAIL_S if entry.channel == "loudspeaker" else 0.0
            room = (spec.mix.lead_in_s - LEAD_MARGIN_S - tail) * WORDS_PER_S
            fitting = [x for x in lines if len(x.split()) <= room] or [min(lines, key=lambda x: len(x.split()))]
        elif anchor == "during":  # a line that ends within the speech and the tail
            room = (len(spec.speech.text.split()) / WORDS_PER_S / spec.speech.prosody.rate + spec.mix.tail_s
                    - DURING_START_S) * WORDS_PER_S
            fitting = [x for x in lines if len(x.split()) <= room] or [min(lines, key=lambda x: len(x.split()))]
        else:
            fitting = lines
        text = fitting[int(rng.integers(len(fitting)))]
        lines = [x for x in lines if x != text] or lines
        if anchor == "during":  # relative to the background, which the SNR sets
            below = config.during_below_background_db
            level = -spec.mix.snr_db - float(rng.uniform(below.low, below.high))
        else:
            level = float(rng.uniform(config.cue_to_speech_db.low, config.cue_to_speech_db.high))
            level += config.after_extra_db if anchor == "after" else 0.0
        cues.append(CueSpec(
            text=text, role=entry.role, channel=entry.channel,
            speech=SpeechSpec(engine=voice.engine, voice_id=voice.id, gender=voice.gender, accent=voice.accent,
                              text=normalise(text), prosody=Prosody(rate=1.0, pitch=1.0, style="neutral")),
            anchor=anchor,  # type: ignore[arg-type]
            position=round(float(rng.random()), 4),
            cue_to_speech_db=round(level, 2),
        ))
    return spec.model_copy(update={"cues": tuple(cues), "context": with_cues(spec.context, cues)})


_CHANNEL_WORDS = {"direct": "", "loudspeaker": " over a PA loudspeaker", "tv": " from a TV", "radio": " from a radio",
                  "phone": " on a phone call"}


def with_cues(context: str, cues: list[CueSpec]) -> str:
    """The rendered context with what the background voices say (the ``context`` column)."""
    if not cues:
        return context
    said = "; ".join(f"{c.anchor} the speech, {'an' if c.role[:1] in 'aeiou' else 'a'} {c.role}"
                     f"{_CHANNEL_WORDS[c.channel]} says \"{c.text}\"" for c in cues)
    return f"{context.rstrip('.')}; {said}" + ("" if said[-2:-1] in ".!?" else ".")
