"""FSD50K as its release lays it out:

    FSD50K.dev_audio/<fname>.wav      FSD50K.ground_truth/dev.csv   (fname,labels,mids,split)
    FSD50K.eval_audio/<fname>.wav     FSD50K.ground_truth/eval.csv  (fname,labels,mids; optional)
    FSD50K.metadata/{dev,eval}_clips_info_FSD50K.json  ({fname: {title, license, uploader, ...}})

Each clip keeps its own Freesound licence (CC0, CC BY, CC BY-NC or Sampling+), given there as
a URL and mapped here to its SPDX id; an unknown URL stops the import.
"""

from __future__ import annotations

from pathlib import Path

from aorgen.errors import AorgenError
from aorgen.importers.base import SourceClip, SourceSet, freesound_url, read_csv, read_json, require_spdx
from aorgen.importers.tags import SPEECH_LABELS, normalise_label

NOTICE = (
    "FSD50K (E. Fonseca, X. Favory, J. Pons, F. Font, X. Serra, 2020): Freesound clips, each under its own "
    "licence (below). Cite: \"FSD50K: An Open Dataset of Human-Labeled Sound Events\", IEEE/ACM TASLP 30 (2022), "
    "doi:10.1109/TASLP.2021.3133208."
)


def _split(root: Path, name: str) -> list[SourceClip]:
    truth = root / "FSD50K.ground_truth" / f"{name}.csv"
    info_file = root / "FSD50K.metadata" / f"{name}_clips_info_FSD50K.json"
    rows = read_csv(truth, ("fname", "labels"))
    info = read_json(info_file)
    if not isinstance(info, dict):
        raise AorgenError("expected a mapping of fname -> clip info", file=info_file)
    clips = []
    for row in rows:
        fname = row["fname"]
        meta = info.get(fname)
        if not isinstance(meta, dict) or not meta.get("license"):
            raise AorgenError("no licence for this clip", file=info_file, item=fname, field="license")
        labels = tuple(label for label in row["labels"].split(",") if label)
        uploader = str(meta.get("uploader") or "unknown uploader")
        title = str(meta.get("title") or f"sound {fname}")
        clips.append(SourceClip(
            key=fname,
            audio=root / f"FSD50K.{name}_audio" / f"{fname}.wav",
            license=require_spdx(str(meta["license"]), file=info_file, item=fname, field="license"),
            attribution=f"'{title}' by {uploader} ({freesound_url(fname)}), from FSD50K",
            source_url=freesound_url(fname),
            labels=labels,
            meta_file=truth,
            audio_field="fname",
            context_cue=f"{', '.join(label.replace('_', ' ').lower() for label in labels[:3])} (FSD50K)",
            contains_speech=any(normalise_label(label) in SPEECH_LABELS for label in labels),
        ))
    return clips


def read(root: Path) -> SourceSet:
    clips = _split(root, "dev")
    if (root / "FSD50K.ground_truth" / "eval.csv").is_file():
        clips += _split(root, "eval")
    return SourceSet(name="fsd50k", title="FSD50K", notice=NOTICE, clips=clips, id_prefix="fsd50k")
