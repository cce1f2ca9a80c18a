"""ESC-50 as its release lays it out: ``audio/*.wav`` and ``meta/esc50.csv``.

Licence (the dataset's README and LICENSE file): the dataset as a whole is CC BY-NC 3.0;
the ESC-10 subset (``esc10`` column True) is CC BY 3.0 Unported. Each clip is cut from a
Freesound recording (``src_file`` is its Freesound id); when the release's ``LICENSE`` file
is present, its per-clip lines supply the original title and uploader for the attribution.
"""

from __future__ import annotations

import re
from pathlib import Path

from aorgen.importers.base import SourceClip, SourceSet, freesound_url, read_csv

DATASET_LICENSE = "CC-BY-NC-3.0"
ESC10_LICENSE = "CC-BY-3.0"
NOTICE = (
    "ESC-50 (K. J. Piczak, 2015) is licensed CC BY-NC 3.0 as a whole; its ESC-10 subset is CC BY 3.0. "
    "Clips are cut from Freesound recordings (credited per clip below). Cite: K. J. Piczak, "
    "\"ESC: Dataset for Environmental Sound Classification\", Proc. ACM Multimedia 2015, "
    "doi:10.1145/2733373.2806390."
)
COLUMNS = ("filename", "fold", "target", "category", "esc10", "src_file", "take")

# "- [1-100032-A.ogg]: clip derived from rose_bark.wav (http://www.freesound.org/...) by nfrae [CC0]"
_CREDIT = re.compile(r"^\s*-\s*\[([^\]]+)\.ogg\]:\s*clip derived from (.*) \((https?://\S+)\) by (.*?) \[[^\]]*\]\s*$")


def _credits(license_file: Path) -> dict[str, tuple[str, str]]:
    """clip stem (fold-src-take) -> (original title, uploader), from the LICENSE file if any."""
    if not license_file.is_file():
        return {}
    found = {}
    for line in license_file.read_text(encoding="utf-8", errors="replace").splitlines():
        match = _CREDIT.match(line)
        if match:
            found[match.group(1)] = (match.group(2).strip(), match.group(4).strip())
    return found


def read(root: Path) -> SourceSet:
    meta = root / "meta" / "esc50.csv"
    credits = _credits(root / "LICENSE")
    clips = []
    for row in read_csv(meta, COLUMNS):
        stem = row["filename"].rsplit(".", 1)[0]
        source_id = row["src_file"]
        title, uploader = credits.get(f"{row['fold']}-{source_id}-{row['take']}", ("", ""))
        original = f"'{title}' by {uploader}" if uploader else f"Freesound sound {source_id}"
        esc10 = row["esc10"].lower() == "true"
        clips.append(SourceClip(
            key=stem,
            audio=root / "audio" / row["filename"],
            license=ESC10_LICENSE if esc10 else DATASET_LICENSE,
            attribution=f"{original} ({freesound_url(source_id)}), cut for ESC-50 by K. J. Piczak",
            source_url=freesound_url(source_id),
            labels=(row["category"],),
            meta_file=meta,
            audio_field="filename",
            context_cue=f"{row['category'].replace('_', ' ')} (ESC-50)",
        ))
    return SourceSet(name="esc50", title="ESC-50", notice=NOTICE, clips=clips, id_prefix="esc50")
