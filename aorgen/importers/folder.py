"""A local folder of recordings with a licence table, ``licenses.csv`` (or PATH is the table):

    file,license,attribution,source_url,role,scene_tags,event_labels,context_cue,contains_speech
    rain/porch.wav,CC0-1.0,Jane Doe,https://...,background,garden;backyard_bbq,rain,rain on a porch,false

``file`` is relative to the table's folder; ``license`` an SPDX id (or a Creative Commons URL);
``scene_tags`` and ``event_labels`` are ``;``-separated. Without ``scene_tags`` the clip's
tags come from its ``event_labels`` through the tags map. Only file, license and attribution
are required.
"""

from __future__ import annotations

import re
from pathlib import Path

from aorgen.errors import AorgenError
from aorgen.importers.base import SourceClip, SourceSet, read_csv, require_spdx

TABLE = "licenses.csv"
_TRUE, _FALSE = {"true", "yes", "1"}, {"false", "no", "0", ""}


def _list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(";") if part.strip())


def _bool(value: str, *, file: Path, item: str) -> bool:
    if value.lower() not in _TRUE | _FALSE:
        raise AorgenError(f"expected true or false, got '{value}'", file=file, item=item, field="contains_speech")
    return value.lower() in _TRUE


def read(path: Path) -> SourceSet:
    table = path / TABLE if path.is_dir() else path
    root = table.parent
    clips = []
    for line, row in enumerate(read_csv(table, ("file", "license", "attribution")), start=2):
        item = f"line {line} ({row['file']})"
        role = row.get("role", "")
        if role not in ("", "background", "event"):
            raise AorgenError(f"role must be background or event, got '{role}'", file=table, item=item, field="role")
        if not row["attribution"]:
            raise AorgenError("attribution is empty", file=table, item=item, field="attribution")
        clips.append(SourceClip(
            key=row["file"].rsplit(".", 1)[0],
            audio=root / row["file"],
            license=require_spdx(row["license"], file=table, item=item, field="license"),
            attribution=row["attribution"],
            source_url=row.get("source_url", ""),
            labels=_list(row.get("event_labels", "")),
            meta_file=table,
            audio_field="file",
            scene_tags=_list(row.get("scene_tags", "")),
            role=role or None,  # type: ignore[arg-type]
            context_cue=row.get("context_cue", ""),
            contains_speech=_bool(row.get("contains_speech", ""), file=table, item=item),
        ))
    name = re.sub(r"[^a-z0-9_-]+", "-", root.resolve().name.lower()).strip("-_") or "imported"
    return SourceSet(name=name, title=f"the folder {root.name}", notice="Recordings listed in a licence table; "
                     "each clip's licence and attribution are below.", clips=clips)
