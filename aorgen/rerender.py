"""Re-render a dataset row from the spec it stores (DESIGN invariant 1)."""

from __future__ import annotations

import json
from pathlib import Path

import soundfile as sf

from aorgen.cache import atomic_write_bytes, default_cache_dir
from aorgen.dataset import find_row
from aorgen.render import RenderContext, decode, render
from aorgen.soundbank import builtin_bank_paths


def bank_paths_for(dataset: Path) -> list[Path]:
    """The banks recorded in build.json when they still exist, else the built-in banks."""
    build_info = Path(dataset) / "build.json"
    if build_info.exists():
        paths = [Path(p) for p in json.loads(build_info.read_text())["sound_banks"].values()]
        if all(p.exists() for p in paths):
            return paths
    return builtin_bank_paths()


def rerender_row(dataset: Path, row_id: str, output: Path, *, banks: list[Path] | None = None,
                 cache_dir: Path | None = None) -> bool:
    """Render the row's spec to ``output``; True when the audio equals the stored bytes."""
    row = find_row(dataset, row_id)
    ctx = RenderContext.from_bank_paths(banks or bank_paths_for(dataset), cache_dir or default_cache_dir())
    rendered = render(row.spec, ctx)
    output = Path(output)
    if output.suffix.lstrip(".").lower() == row.spec.audio_format:
        atomic_write_bytes(output, rendered.audio)
    else:
        samples, rate = decode(rendered.audio)
        sf.write(output, samples, rate, subtype="PCM_16")
    return rendered.audio == row.audio_bytes()
