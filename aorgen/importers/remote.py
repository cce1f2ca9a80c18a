"""Fetch a dataset on a machine with a network, then read it with the local layout readers:
``soundata:NAME`` downloads through soundata (into its usual ``~/sound_datasets/NAME``), and
``hf:REPO_ID[@REVISION]`` snapshots a Hugging Face dataset repository that holds one of the
release layouts (found by its metadata file, at the top or one folder down)."""

from __future__ import annotations

from pathlib import Path

from aorgen.errors import AorgenError, require

# layout -> the metadata file that identifies it
MARKERS = {
    "esc50": Path("meta/esc50.csv"),
    "urbansound8k": Path("metadata/UrbanSound8K.csv"),
    "fsd50k": Path("FSD50K.ground_truth/dev.csv"),
    "folder": Path("licenses.csv"),
}
SOUNDATA_NAMES = ("esc50", "urbansound8k", "fsd50k")  # soundata unpacks these in the release layouts


def detect_layout(root: Path) -> tuple[str, Path]:
    """(layout, folder) of the first known layout at ``root`` or one folder below it."""
    for folder in [root, *sorted(p for p in root.iterdir() if p.is_dir())]:
        for layout, marker in MARKERS.items():
            if (folder / marker).is_file():
                return layout, folder
    expected = ", ".join(str(m) for m in MARKERS.values())
    raise AorgenError(f"no known dataset layout here (looked for {expected})", file=root)


def fetch_soundata(name: str) -> tuple[str, Path]:
    if name not in SOUNDATA_NAMES:
        raise AorgenError(f"soundata dataset '{name}' has no importer (have: {', '.join(SOUNDATA_NAMES)})",
                          field="SOURCE")
    soundata = require("soundata", extra="importers")
    dataset = soundata.initialize(name)
    dataset.download()
    return name, Path(dataset.data_home)


def fetch_hub(spec: str) -> tuple[str, Path]:
    hub = require("huggingface_hub", extra="importers")
    repo_id, _, revision = spec.partition("@")
    try:
        local = hub.snapshot_download(repo_id=repo_id, repo_type="dataset", revision=revision or None)
    except Exception as exc:  # the hub raises many types (offline, not found, gated)
        raise AorgenError(f"cannot download from the Hugging Face Hub: {exc}", item=repo_id, field="SOURCE") from None
    return detect_layout(Path(local))
