"""What every reader yields (SourceClip, SourceSet), licence ids, and metadata-file helpers."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from aorgen.errors import AorgenError
from aorgen.content.soundbank import SPDX_TERMS

Role = Literal["background", "event"]


@dataclass(frozen=True)
class SourceClip:
    """One recording as a dataset describes it, before conversion."""

    key: str  # unique within the dataset (becomes the clip id, with the set's prefix)
    audio: Path
    license: str  # SPDX id
    attribution: str
    source_url: str
    labels: tuple[str, ...]  # the dataset's class labels (mapped to scene tags)
    meta_file: Path  # where the clip is described, and the field naming its audio (for errors)
    audio_field: str
    scene_tags: tuple[str, ...] = ()  # given explicitly (folder tables); else from the labels
    role: Role | None = None  # a hint from the dataset (folder table, UrbanSound8K salience)
    context_cue: str = ""
    contains_speech: bool = False


@dataclass
class SourceSet:
    """A dataset read from disk: its clips and what its ATTRIBUTION file should say."""

    name: str  # default bank name
    title: str
    notice: str  # dataset-level licence and citation, for ATTRIBUTION.md
    clips: list[SourceClip] = field(default_factory=list)
    id_prefix: str = ""  # clip ids are "<prefix>-<key>" (just the key when empty)


_FREESOUND_LICENSES = {
    "creativecommons.org/publicdomain/zero/1.0": "CC0-1.0",
    "creativecommons.org/licenses/sampling+/1.0": "LicenseRef-Freesound-Sampling-Plus",
}


def spdx_id(value: str) -> str | None:
    """An SPDX id from an SPDX id or a Creative Commons licence URL; None if unknown."""
    value = value.strip()
    if value in SPDX_TERMS:
        return value
    url = re.sub(r"^https?://(www\.)?", "", value.lower()).rstrip("/")
    url = re.sub(r"/(legalcode|deed\.[a-z-]+)$", "", url)
    if url in _FREESOUND_LICENSES:
        return _FREESOUND_LICENSES[url]
    match = re.fullmatch(r"creativecommons\.org/licenses/([a-z-]+)/(\d\.\d)", url)
    if match:
        candidate = f"CC-{match.group(1).upper()}-{match.group(2)}"
        return candidate if candidate in SPDX_TERMS else None
    return None


def require_spdx(value: str, *, file: Path, item: str, field: str) -> str:
    found = spdx_id(value)
    if found is None:
        raise AorgenError(f"unknown licence '{value}' (give an SPDX id: {', '.join(SPDX_TERMS)}, "
                          "or a Creative Commons URL)", file=file, item=item, field=field)
    return found


def read_csv(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of a CSV file with a header; names the file and the missing column on error."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise AorgenError(f"missing column (the header has: {', '.join(reader.fieldnames or [])})",
                                  file=path, field=missing[0])
            return [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in reader]
    except FileNotFoundError:
        raise AorgenError("metadata file not found", file=path) from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise AorgenError(f"cannot read: {exc}", file=path) from None


def read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AorgenError("metadata file not found", file=path) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AorgenError(f"cannot read: {exc}", file=path) from None


def freesound_url(sound_id: str) -> str:
    return f"https://freesound.org/s/{sound_id}/"
