"""Turn selected SourceClips into a bank folder: mono 16-bit FLAC files, catalogue.yaml and
ATTRIBUTION.md, written into a temporary folder and swapped into place when complete."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import yaml

from aorgen.errors import AorgenError
from aorgen.importers.base import Role, SourceClip, SourceSet
from aorgen.render.loudness import SILENCE_LUFS, integrated_loudness
from aorgen.content.soundbank import SPDX_TERMS, Clip, load_bank

EVENT_MAX_S = 5.0  # clips shorter than this are events unless a role is given


@dataclass(frozen=True)
class Selected:
    """A clip that passed the licence and tag filters, with its bank id and scene tags."""

    clip: SourceClip
    id: str
    scene_tags: tuple[str, ...]


def clip_id(prefix: str, key: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", key.lower()).strip("-._")
    return f"{prefix}-{slug}" if prefix else slug


def check_out(out: Path, overwrite: bool) -> None:
    """Refuse an existing bank unless ``overwrite``; never replace a folder that is not a bank."""
    if not out.exists():
        return
    if not overwrite:
        raise AorgenError("bank folder already exists (use --overwrite to replace it)", file=out, field="--out")
    if not out.is_dir() or (any(out.iterdir()) and not (out / "catalogue.yaml").is_file()):
        raise AorgenError("refusing to replace a folder that is not a sound bank", file=out, field="--out")


def _convert(item: Selected, audio_dir: Path, sample_rate: int | None, role: Role | None) -> dict | None:
    """Write one clip as mono FLAC and return its catalogue entry (None if it is silent)."""
    clip = item.clip
    if not clip.audio.is_file():
        raise AorgenError(f"audio file not found: {clip.audio}", file=clip.meta_file, item=clip.key,
                          field=clip.audio_field)
    try:
        data, rate = sf.read(clip.audio, dtype="float32", always_2d=True)
    except Exception as exc:  # soundfile raises several types for bad files
        raise AorgenError(f"unreadable audio: {exc}", file=clip.audio, item=clip.key, field=clip.audio_field) from None
    samples = np.clip(data.mean(axis=1), -1.0, 1.0)
    if sample_rate and sample_rate != rate:
        import soxr

        samples, rate = soxr.resample(samples, rate, sample_rate).astype(np.float32), sample_rate
    loudness = integrated_loudness(samples, rate) if len(samples) else SILENCE_LUFS
    if loudness <= SILENCE_LUFS:
        return None
    buf = io.BytesIO()
    sf.write(buf, samples, rate, format="FLAC", subtype="PCM_16")
    blob = buf.getvalue()
    (audio_dir / f"{item.id}.flac").write_bytes(blob)
    duration = len(samples) / rate
    entry = Clip(
        id=item.id,
        path=f"audio/{item.id}.flac",
        sha256=hashlib.sha256(blob).hexdigest(),
        duration_s=round(duration, 4),
        sample_rate=rate,
        role=role or clip.role or ("event" if duration < EVENT_MAX_S else "background"),
        scene_tags=item.scene_tags,
        event_labels=clip.labels,
        context_cue=clip.context_cue,
        contains_speech=clip.contains_speech,
        loudness_lufs=round(loudness, 2),
        license=clip.license,
        attribution=clip.attribution,
        source_url=clip.source_url,
        commercial_ok=SPDX_TERMS[clip.license][0],
        share_alike=SPDX_TERMS[clip.license][1],
    )
    return entry.model_dump(mode="json", exclude={"generator", "params"})


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def attribution_text(bank: str, source: SourceSet, entries: list[dict]) -> str:
    licences = Counter(e["license"] for e in entries)
    non_commercial = sum(n for spdx, n in licences.items() if not SPDX_TERMS[spdx][0])
    share_alike = sum(n for spdx, n in licences.items() if SPDX_TERMS[spdx][1])
    lines = [
        f"# Attribution: {bank} sound bank",
        "",
        f"Imported from {source.title} by `aorgen soundbank import` (audio converted to mono 16-bit FLAC; "
        "nothing else changed). " + source.notice,
        "",
        "Licences: " + ", ".join(f"{spdx} ({n})" for spdx, n in sorted(licences.items())) + ".",
    ]
    if non_commercial:
        lines.append(f"{non_commercial} clip(s) are non-commercial: a dataset built with them may not be used commercially.")
    if share_alike:
        lines.append(f"{share_alike} clip(s) are share-alike: a dataset built with them takes the same licence.")
    lines += ["", "| clip | licence | attribution | source |", "| --- | --- | --- | --- |"]
    lines += [f"| `{e['id']}` | {e['license']} | {_cell(e['attribution'])} | {_cell(e['source_url'])} |"
              for e in entries]
    return "\n".join(lines) + "\n"


def write_bank(out: Path, bank: str, source: SourceSet, selected: list[Selected], *,
               sample_rate: int | None, role: Role | None, overwrite: bool,
               progress: Callable[[int, int], None] | None = None) -> tuple[list[dict], int]:
    """Convert ``selected`` into the bank folder ``out``; returns (entries, silent clips skipped)."""
    from aorgen.dataset.folder import finalise_folder

    check_out(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.importing-", dir=out.parent))
    try:
        (staging / "audio").mkdir()
        entries = []
        for done, item in enumerate(selected, start=1):
            entry = _convert(item, staging / "audio", sample_rate, role)
            if entry is not None:
                entries.append(entry)
            if progress:
                progress(done, len(selected))
        if not entries:
            raise AorgenError("every selected clip is silent", file=source.clips[0].meta_file)
        description = f"Imported from {source.title} by aorgen soundbank import; see ATTRIBUTION.md."
        catalogue = {"bank": bank, "description": description, "clips": entries}
        (staging / "catalogue.yaml").write_text(
            yaml.safe_dump(catalogue, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")
        (staging / "ATTRIBUTION.md").write_text(attribution_text(bank, source, entries), encoding="utf-8")
        load_bank(staging)  # the bank must load before it takes the place of anything
        check_out(out, overwrite)
        finalise_folder(staging, out, overwrite)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return entries, len(selected) - len(entries)
