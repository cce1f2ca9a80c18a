"""Re-render a dataset row from the spec it stores (DESIGN invariant 1)."""

from __future__ import annotations

import json
from pathlib import Path

import soundfile as sf

from aorgen.render.cache import atomic_write_bytes, default_cache_dir
from aorgen.dataset.schema import find_row
from aorgen.errors import AorgenError
from aorgen.render.mix import RenderContext, decode, render
from aorgen.content.soundbank import builtin_bank_paths


AUDIO_SUFFIXES = {".flac", ".wav", ".ogg"}


def check_output_file(output: Path, option: str) -> None:
    """An audio file aorgen can write: a known suffix, not a folder, in an existing folder."""
    if output.suffix.lower() not in AUDIO_SUFFIXES:
        raise AorgenError(f"unknown audio format '{output.suffix}' (use {', '.join(sorted(AUDIO_SUFFIXES))})",
                          file=output, field=option)
    if output.is_dir():
        raise AorgenError("is a folder, expected an audio file", file=output, field=option)
    if not output.parent.is_dir():
        raise AorgenError("its folder does not exist", file=output, field=option)


def bank_paths_for(dataset: Path) -> list[Path]:
    """The banks recorded in build.json when they still exist, else the built-in banks."""
    build_info = Path(dataset) / "build.json"
    if build_info.exists():
        try:
            paths = [Path(p) for p in json.loads(build_info.read_text())["sound_banks"].values()]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise AorgenError(f"unusable build record: {exc}", file=build_info, field="sound_banks") from None
        if all(p.exists() for p in paths):
            return paths
    return builtin_bank_paths()


def rerender_row(dataset: Path, row_id: str, output: Path, *, banks: list[Path] | None = None,
                 cache_dir: Path | None = None) -> bool:
    """Render the row's spec to ``output``; True when the audio equals the stored bytes."""
    output = Path(output)
    check_output_file(output, "--out")
    row = find_row(dataset, row_id)
    ctx = RenderContext.from_bank_paths(banks or bank_paths_for(dataset), cache_dir or default_cache_dir())
    rendered = render(row.spec, ctx)
    try:
        if output.suffix.lstrip(".").lower() == row.spec.audio_format:
            atomic_write_bytes(output, rendered.audio)
        else:
            samples, rate = decode(rendered.audio)
            sf.write(output, samples, rate, subtype="PCM_16")
    except (OSError, RuntimeError) as exc:  # soundfile's errors are RuntimeErrors
        raise AorgenError(f"cannot write: {' '.join(str(exc).split())}", file=output, field="--out") from None
    return rendered.audio == row.audio_bytes()
