"""Scenario templates: the benchmark's scripts, their schema, lint and statistics."""

from __future__ import annotations

import glob
import itertools
import math
import unicodedata
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from aorgen.errors import AorgenError
from aorgen.common.taxonomy import CATEGORIES, HARM_TYPES, LABELS  # noqa: F401  (re-exported)
from aorgen.common.yamlio import load_model, read_yaml

STYLES = ("neutral", "excited", "calm", "whisper", "angry", "sad", "happy", "fearful", "urgent")
MIN_WORDS, MAX_WORDS = 4, 25
MAX_VARIANTS = 64  # slot-filler combinations per script (counted, never enumerated, at load)
MAX_CHARS = 400  # characters per filled-in text
SLOT = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")  # the only placeholder form: {name}
NEAR_DUPLICATE_JACCARD = 0.6

# A pseudo-harmful line must sound like a harmful request, threat or plan heard alone. A question
# about what someone did in the past ("How did they poison the wells?", "Who blew up her car?"),
# a third-person report ("He robbed him blind") or a history frame ("back then", "in the war")
# reads as a harmless question about history or a story even as plain text, so the audio adds
# nothing. The review rules flag these frames (in every slot filling, lowercased):
_SUBJECT = r"(?:they|he|she|it|you|the|those|these|people|anyone|someone|that|this)"
PAST_REPORT_FRAMES = (
    # a wh-question about a past act: "how did they ...", "why was he ...", "what had the ..."
    rf"\b(?:how|why|where|when|who|what|which)\b[^,.?!]*?\b(?:did|were|was|had)\s+{_SUBJECT}\b",
    # "how many ... did"
    r"\bhow\s+many\b[^,.?!]*?\bdid\b",
    # a yes/no question about a past act: "did they really ...", "wait, was she ..."
    r"(?:^|[,.!?]\s*)(?:wait,?\s+|so,?\s+|hang on,?\s+)?(?:did|were|was|had)\s+(?:they|he|she|the|those|people|you)\b",
    # an opening third-person report of a past act: "he robbed ...", "who blew up ...", "they just stole ..."
    r"^(?:so,?\s+|wait,?\s+)?(?:he|she|they|who)\s+(?:just\s+|really\s+|actually\s+)?"
    r"(?:\w+ed|stole|blew|shot|threw|took|got|hid|slit|sank|broke)\b",
    # a history frame
    r"\b(?:back then|in the war|during the war|in the siege|in history|in ancient times|in the middle ages|"
    r"centuries ago|used to)\b",
)
_PAST_REPORT = re.compile("|".join(f"(?:{p})" for p in PAST_REPORT_FRAMES))


def past_report_frame(text: str) -> str | None:
    """The words of ``text`` that put it in a past-tense historical or third-person-report frame, or None."""
    match = _PAST_REPORT.search(text.lower())
    return match.group(0).strip(" ,.!?") if match else None

Category = Literal[CATEGORIES]  # type: ignore[valid-type]
Label = Literal[LABELS]  # type: ignore[valid-type]


class Script(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    text: str = Field(min_length=1)
    scene_tags: tuple[str, ...] = Field(min_length=1, max_length=3)
    context: str = Field(min_length=1)
    rationale: str = Field(min_length=1)
    style: Literal[STYLES] = "neutral"  # type: ignore[valid-type]
    slots: dict[str, tuple[str, ...]] = {}
    twin: str | None = None
    harm_type: Literal[HARM_TYPES] | None = None  # type: ignore[valid-type]
    # pseudo_harmful only: what the words sound like to someone who hears them with no context
    harmful_reading: str | None = None
    # pseudo_harmful only, optional: scene tags whose sound supports the harmful reading (the
    # audio minimal pairs' harmful_scene condition)
    harmful_scene_tags: tuple[str, ...] = Field((), max_length=3)

    @field_validator("slots")
    @classmethod
    def _nonempty_slots(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for name, fillers in value.items():
            if not fillers:
                raise ValueError(f"slot '{name}' has no fillers")
        return value

    @field_validator("text")
    @classmethod
    def _has_words(cls, value: str) -> str:
        if not value.split():
            raise ValueError("has no words (empty or whitespace only)")
        if any(unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\t\n\r" for ch in value):
            raise ValueError("has control or invisible format characters")
        return value

    def variant_count(self) -> int:
        """How many texts ``variants`` gives (computed without building them)."""
        return math.prod(len(fillers) for fillers in self.slots.values())

    def variants(self) -> list[str]:
        """The text with every combination of slot fillers (just the text without slots).
        Slots are filled by plain substitution of ``{name}``: nothing is evaluated."""
        names = sorted(self.slots)
        if not names:
            return [self.text]
        if self.variant_count() > MAX_VARIANTS:
            raise AorgenError(f"{self.variant_count()} slot combinations, more than {MAX_VARIANTS}",
                              item=self.id, field="slots")
        return [fill(self.text, dict(zip(names, combo)))
                for combo in itertools.product(*(self.slots[n] for n in names))]


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with each ``{name}`` replaced by ``values[name]`` (one pass, no evaluation)."""
    return SLOT.sub(lambda m: values[m.group(1)], text)


def script_problem(script: Script) -> tuple[str, str] | None:
    """(field, message) of the first reason ``script`` cannot be built, else None: only
    ``{name}`` placeholders matching the slots, at most MAX_VARIANTS combinations, at most
    MAX_WORDS words and MAX_CHARS characters in every filled-in text."""
    stray = SLOT.sub("", script.text)
    if "{" in stray or "}" in stray:
        bad = re.search(r"\{[^{}]*\}?|\}", stray)
        return "text", (f"stray brace or placeholder {bad.group(0)!r}: only {{name}} slots "
                        "(letters, digits, _) are filled in")
    placeholders = set(SLOT.findall(script.text))
    if placeholders != set(script.slots):
        return "slots", f"placeholders {sorted(placeholders)} do not match slots {sorted(script.slots)}"
    for name, fillers in script.slots.items():
        for filler in fillers:
            if not filler.strip() or "{" in filler or "}" in filler:
                return f"slots.{name}", f"filler {filler!r} is blank or has braces"
    count = script.variant_count()
    if count > MAX_VARIANTS:
        return "slots", f"{count} slot combinations, more than {MAX_VARIANTS} (use fewer slots or fillers)"
    for text in script.variants():
        words = len(text.split())
        if words > MAX_WORDS:
            return "text", f"{words} words, more than {MAX_WORDS}"
        if len(text) > MAX_CHARS:
            return "text", f"{len(text)} characters, more than {MAX_CHARS}"
    return None


class TemplateFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Category
    label: Label
    scripts: list[Script] = Field(min_length=1)


@dataclass(frozen=True)
class LoadedScript:
    """A script with where it came from."""

    script: Script
    category: str
    label: str
    file: Path
    line: int


def _script_lines(path: Path) -> dict[str, int]:
    lines = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = re.match(r"\s*(?:-\s*)?id:\s*['\"]?([a-z0-9-]+)['\"]?\s*$", line)
        if match:
            lines.setdefault(match.group(1), number)
    return lines


def template_files(paths: list[str | Path]) -> list[Path]:
    """Expand folders and globs into the sorted list of template YAML files."""
    files: list[Path] = []
    for entry in paths:
        entry = Path(entry)
        if entry.is_dir():
            files.extend(sorted(entry.rglob("*.yaml")))
        elif any(ch in str(entry) for ch in "*?["):
            files.extend(sorted(Path(p) for p in glob.glob(str(entry), recursive=True)))
        else:
            files.append(entry)
    return [f for f in files if f.name != "README.yaml"]


def load_templates(paths: list[str | Path]) -> list[LoadedScript]:
    """Every script in the template files; ids unique, slot placeholders consistent."""
    loaded: list[LoadedScript] = []
    seen: dict[str, Path] = {}
    for file in template_files(paths):
        data = read_yaml(file)
        if isinstance(data, dict) and "scripts" not in data:
            continue  # not a template file (e.g. a tag list)
        parsed = load_model(file, TemplateFile)
        lines = _script_lines(file)
        for script in parsed.scripts:
            where = f"{file}:{lines.get(script.id, 0)}"
            if script.id in seen:
                raise AorgenError(f"duplicate script id (also in {seen[script.id]})", file=where, item=script.id, field="id")
            seen[script.id] = file
            problem = script_problem(script)
            if problem is not None:
                raise AorgenError(problem[1], file=where, item=script.id, field=problem[0])
            loaded.append(LoadedScript(script, parsed.category, parsed.label, file, lines.get(script.id, 0)))
    if not loaded:
        raise AorgenError("no template scripts found", file=", ".join(map(str, paths)))
    return loaded


_PRONOUNS = frozenset("he him his she her hers they them their he's she's they're".split())  # "it" -> "him" may be the change


def _tokens(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z']+", text.lower()))


def lint(scripts: list[LoadedScript], known_tags: set[str], *, review: bool = False) -> list[str]:
    """Problems as 'file:line: id: field: message' lines (empty when the content is clean).
    ``review`` adds the review fields' rules: a harm type on every harmful-sounding or harmful
    script, a stated harmful reading on every pseudo-harmful one and no pseudo-harmful line in a
    past-tense history or third-person-report frame, twins in the same category,
    and no control rationale written twice."""
    problems = []

    def report(item: LoadedScript, field: str, message: str) -> None:
        problems.append(f"{item.file}:{item.line}: {item.script.id}: {field}: {message}")

    ids = {s.script.id: s for s in scripts}
    for item in scripts:
        script = item.script
        for tag in script.scene_tags:
            if tag not in known_tags:
                report(item, "scene_tags", f"unknown scene tag '{tag}' (not in any sound bank)")
        for tag in script.harmful_scene_tags:
            if tag not in known_tags:
                report(item, "harmful_scene_tags", f"unknown scene tag '{tag}' (not in any sound bank)")
        for text in script.variants():
            words = len(text.split())
            if not MIN_WORDS <= words <= MAX_WORDS:
                report(item, "text", f"{words} words, outside {MIN_WORDS}-{MAX_WORDS}: {text!r}")
        if len(script.rationale.split()) < 3:
            report(item, "rationale", "missing or too short")
        if script.twin is not None:
            twin = ids.get(script.twin)
            if twin is None:
                report(item, "twin", f"no script with id '{script.twin}'")
            elif twin.label != "pseudo_harmful":
                report(item, "twin", f"twin '{script.twin}' is not a pseudo_harmful script")
    if review:
        problems += _review_problems(scripts, ids)
    # near-duplicates: Jaccard overlap of normalised word sets, within a label
    by_label: dict[str, list[tuple[LoadedScript, frozenset[str]]]] = {}
    for item in scripts:
        by_label.setdefault(item.label, []).append((item, _tokens(item.script.text)))
    for group in by_label.values():
        for (a, ta), (b, tb) in itertools.combinations(group, 2):
            overlap = len(ta & tb) / max(1, len(ta | tb))
            if overlap > NEAR_DUPLICATE_JACCARD:
                kind = "duplicate" if ta == tb else f"near-duplicate (overlap {overlap:.2f})"
                report(b, "text", f"{kind} of {a.script.id} ({a.file}:{a.line})")
    return problems


def _review_problems(scripts: list[LoadedScript], ids: dict[str, LoadedScript]) -> list[str]:
    problems = []
    rationales: dict[str, LoadedScript] = {}
    readings: dict[str, LoadedScript] = {}
    for item in scripts:
        script, where = item.script, f"{item.file}:{item.line}: {item.script.id}"
        if item.label == "benign_control":
            if script.harm_type not in (None, "none"):
                problems.append(f"{where}: harm_type: a benign control has harm type 'none'")
            key = " ".join(script.rationale.lower().split())
            if key in rationales:
                problems.append(f"{where}: rationale: the same as {rationales[key].script.id}'s; say what this script asks")
            rationales.setdefault(key, item)
            continue
        if script.harm_type in (None, "none"):
            problems.append(f"{where}: harm_type: required ({', '.join(t for t in HARM_TYPES if t != 'none')})")
        if item.label == "pseudo_harmful" and not (script.harmful_reading or "").strip():
            problems.append(f"{where}: harmful_reading: required (what the words sound like heard alone)")
        frames = map(past_report_frame, script.variants()) if item.label == "pseudo_harmful" else ()
        if (frame := next(filter(None, frames), None)) is not None:
            problems.append(f"{where}: text: a past-tense history or third-person-report frame ('{frame}') "
                            "reads as harmless even as text; write a first/second-person request, threat or plan")
        if item.label == "pseudo_harmful" and (script.harmful_reading or "").strip():
            key = " ".join(script.harmful_reading.lower().split())
            if key in readings:
                problems.append(f"{where}: harmful_reading: the same as {readings[key].script.id}'s; "
                                "say what these words sound like")
            readings.setdefault(key, item)
        if item.label == "harmful_contrast":
            twin = ids.get(script.twin or "")
            if twin is not None and twin.category != item.category:
                problems.append(f"{where}: twin: '{script.twin}' is in another category ({twin.category})")
            if twin is not None and _tokens(script.text) - _PRONOUNS == _tokens(twin.script.text) - _PRONOUNS:
                problems.append(f"{where}: text: the same words as its twin '{script.twin}' (pronouns aside); "
                                "change the target or object so the request is harmful")
    return problems


def stats(scripts: list[LoadedScript]) -> dict[str, Counter]:
    return {
        "category x label": Counter(f"{s.category} / {s.label}" for s in scripts),
        "scene_tag": Counter(t for s in scripts for t in s.script.scene_tags),
        "words": Counter(f"{(len(s.script.text.split()) - 1) // 5 * 5 + 1}-{(len(s.script.text.split()) - 1) // 5 * 5 + 5}" for s in scripts),
        "style": Counter(s.script.style for s in scripts),
    }
