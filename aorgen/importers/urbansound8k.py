"""UrbanSound8K as its release lays it out: ``audio/fold<N>/<slice_file_name>`` and
``metadata/UrbanSound8K.csv`` (slice_file_name,fsID,start,end,salience,fold,classID,class).

Licence (the dataset's README): "offered free of charge for non-commercial use only under the
terms of the Creative Commons Attribution Noncommercial License (by-nc), version 3.0", so
every clip is CC BY-NC 3.0. ``fsID`` is the Freesound recording the slice was cut from.
Salience 2 ("background") marks the slice as a bed unless ``--role`` says otherwise.
"""

from __future__ import annotations

from pathlib import Path

from aorgen.importers.base import SourceClip, SourceSet, freesound_url, read_csv

DATASET_LICENSE = "CC-BY-NC-3.0"
NOTICE = (
    "UrbanSound8K (J. Salamon, C. Jacoby, J. P. Bello, 2014) is offered for non-commercial use only under "
    "CC BY-NC 3.0; slices are cut from Freesound recordings (credited per clip below). Cite: \"A Dataset and "
    "Taxonomy for Urban Sound Research\", Proc. ACM Multimedia 2014, doi:10.1145/2647868.2655045."
)
COLUMNS = ("slice_file_name", "fsID", "start", "end", "salience", "fold", "class")


def read(root: Path) -> SourceSet:
    meta = root / "metadata" / "UrbanSound8K.csv"
    clips = []
    for row in read_csv(meta, COLUMNS):
        source_id = row["fsID"]
        clips.append(SourceClip(
            key=row["slice_file_name"].rsplit(".", 1)[0],
            audio=root / "audio" / f"fold{row['fold']}" / row["slice_file_name"],
            license=DATASET_LICENSE,
            attribution=(f"Freesound sound {source_id} ({freesound_url(source_id)}), "
                         f"{row['start']}-{row['end']} s, cut for UrbanSound8K by J. Salamon, C. Jacoby and J. P. Bello"),
            source_url=freesound_url(source_id),
            labels=(row["class"],),
            meta_file=meta,
            audio_field="slice_file_name",
            role="background" if row["salience"] == "2" else None,
            context_cue=f"{row['class'].replace('_', ' ')} (UrbanSound8K)",
        ))
    return SourceSet(name="urbansound8k", title="UrbanSound8K", notice=NOTICE, clips=clips, id_prefix="us8k")
