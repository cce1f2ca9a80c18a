"""Import public sound-event datasets (or a folder with a licence table) as aorgen sound banks.

``import_bank("esc50:/data/ESC-50-master", Path("banks/esc50"))`` reads the dataset's own
metadata, maps its class labels to scene tags (:mod:`aorgen.importers.tags`), keeps the
licences asked for, converts the audio to mono FLAC and writes a bank that ``load_bank``
accepts, with its ATTRIBUTION.md. One reader per source layout; ``soundata:`` and ``hf:``
download first (on a machine with a network) and then use the same readers.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from aorgen.common.registry import unknown
from aorgen.errors import AorgenError
from aorgen.importers import esc50, folder, fsd50k, fsd50k_map, urbansound8k
from aorgen.importers.base import Role, SourceClip, SourceSet
from aorgen.importers.remote import fetch_hub, fetch_soundata
from aorgen.importers.tags import load_tags_map, tags_for
from aorgen.importers.writer import Selected, check_out, clip_id, write_bank
from aorgen.content.soundbank import SPDX_TERMS

READERS: dict[str, Callable[[Path], SourceSet]] = {
    "folder": folder.read,
    "esc50": esc50.read,
    "fsd50k": fsd50k.read,
    "urbansound8k": urbansound8k.read,
}
# Reviewed label -> scene-tag maps with their licence allow-list (``--curated``).
CURATED: dict[str, tuple[dict[str, tuple[str, ...]], tuple[str, ...]]] = {
    "fsd50k": (fsd50k_map.TAGS, fsd50k_map.LICENSES),
}
FETCHERS: dict[str, Callable[[str], tuple[str, Path]]] = {"soundata": fetch_soundata, "hf": fetch_hub}
SOURCE_KINDS = (*READERS, *FETCHERS)
_BANK_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_CLIP_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass
class ImportSummary:
    bank: str
    folder: Path
    clips: int = 0
    roles: Counter = field(default_factory=Counter)
    licenses: Counter = field(default_factory=Counter)
    scene_tags: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)  # reason -> clips
    unknown_tags: set[str] = field(default_factory=set)  # tags no built-in bank uses (typos?)

    def describe(self) -> str:
        def counts(counter: Counter) -> str:
            return ", ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "none"

        lines = [f"imported {self.clips} clips into bank '{self.bank}' at {self.folder}",
                 f"  roles: {counts(self.roles)}",
                 f"  licences: {counts(self.licenses)}",
                 f"  scene tags: {counts(self.scene_tags)}",
                 f"  skipped: {counts(self.skipped)}"]
        if self.unknown_tags:
            lines.append(f"  warning: scene tags no built-in bank uses: {', '.join(sorted(self.unknown_tags))}")
        return "\n".join(lines)


def resolve_source(source: str) -> tuple[str, Path]:
    """(layout, local folder) for ``KIND:PATH``; downloads first for soundata: and hf:."""
    kind, sep, rest = source.partition(":")
    if sep and rest and kind not in SOURCE_KINDS:
        raise unknown("importer", kind, SOURCE_KINDS, field="SOURCE")
    if not sep or not rest:
        raise AorgenError(f"expected KIND:PATH with KIND one of {', '.join(SOURCE_KINDS)}, got '{source}'",
                          field="SOURCE")
    if kind in FETCHERS:
        return FETCHERS[kind](rest)
    path = Path(rest).expanduser()
    if not path.exists():
        raise AorgenError("not found", file=path, field="SOURCE")
    return kind, path


def parse_licenses(licenses: list[str] | None) -> set[str] | None:
    if not licenses:
        return None
    unknown = [spdx for spdx in licenses if spdx not in SPDX_TERMS]
    if unknown:
        raise AorgenError(f"unknown SPDX id '{unknown[0]}' (known: {', '.join(SPDX_TERMS)})", field="--licenses")
    return set(licenses)


def select(source: SourceSet, tags_map: dict[str, tuple[str, ...]], allowed: set[str] | None,
           skipped: Counter) -> list[Selected]:
    """Clips with at least one scene tag and an allowed licence, in id order."""
    chosen: dict[str, Selected] = {}
    for clip in source.clips:
        tags = clip.scene_tags or tags_for(clip.labels, tags_map)
        if not tags:
            skipped["no mapped label"] += 1
            continue
        if allowed is not None and clip.license not in allowed:
            skipped["licence not allowed"] += 1
            continue
        ident = clip_id(source.id_prefix, clip.key)
        if not _CLIP_ID.match(ident):
            raise AorgenError("gives no usable clip id", file=clip.meta_file, item=clip.key, field=clip.audio_field)
        if ident in chosen:
            raise AorgenError(f"gives the clip id '{ident}' twice", file=clip.meta_file, item=clip.key,
                              field=clip.audio_field)
        chosen[ident] = Selected(clip, ident, tags)
    return [chosen[k] for k in sorted(chosen)]


@lru_cache(maxsize=1)
def _builtin_tags() -> frozenset[str]:
    """The scene tags the built-in banks use (empty if they cannot be read)."""
    from aorgen.content.soundbank import builtin_bank_paths, load_bank

    try:
        return frozenset(t for p in builtin_bank_paths() for t in load_bank(p).scene_tags)
    except AorgenError:
        return frozenset()


def import_bank(source: str, out: Path, *, licenses: list[str] | None = None, bank_name: str | None = None,
                role: Role | None = None, tags_map: Path | None = None, sample_rate: int | None = None,
                overwrite: bool = False, progress: Callable[[int, int], None] | None = None,
                curated: bool = False) -> ImportSummary:
    """Import ``source`` (``KIND:PATH``) as a sound bank in the folder ``out``. ``curated``: use
    the source's reviewed map and licence allow-list (``CURATED``) instead of the defaults
    (``licenses`` given explicitly still wins)."""
    out = Path(out)
    check_out(out, overwrite)  # fail before reading a large dataset
    base = None
    if curated:
        kind = source.partition(":")[0]
        if kind not in CURATED:
            raise AorgenError(f"no curated map for '{kind}' (there is one for: {', '.join(CURATED)})",
                              field="--curated")
        base, curated_licenses = CURATED[kind]
        licenses = licenses or list(curated_licenses)
    allowed = parse_licenses(licenses)
    mapping = load_tags_map(tags_map, base)
    if sample_rate is not None and sample_rate <= 0:
        raise AorgenError("must be a positive number of Hz", field="--sample-rate")
    if bank_name is not None and not _BANK_NAME.match(bank_name):
        raise AorgenError(f"bank names are lower-case letters, digits, '-' and '_', got '{bank_name}'",
                          field="--bank-name")
    kind, path = resolve_source(source)
    loaded = READERS[kind](path)
    name = bank_name or loaded.name
    summary = ImportSummary(bank=name, folder=out)
    chosen = select(loaded, mapping, allowed, summary.skipped)
    if not chosen:
        raise AorgenError(f"no clip has a mapped label and an allowed licence (skipped: {dict(summary.skipped)})",
                          file=path, field="--licenses/--tags-map")
    entries, silent = write_bank(out, name, loaded, chosen, sample_rate=sample_rate, role=role,
                                 overwrite=overwrite, progress=progress)
    if silent:
        summary.skipped["silent"] += silent
    summary.clips = len(entries)
    summary.roles.update(e["role"] for e in entries)
    summary.licenses.update(e["license"] for e in entries)
    summary.scene_tags.update(t for e in entries for t in e["scene_tags"])
    known = _builtin_tags()
    summary.unknown_tags = set(summary.scene_tags) - known if known else set()
    return summary


__all__ = ["CURATED", "ImportSummary", "READERS", "SOURCE_KINDS", "SourceClip", "SourceSet", "import_bank", "resolve_source"]
