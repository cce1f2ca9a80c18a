"""Where a neural engine's voices come from, shared by the Coqui, Kokoro and Chatterbox engines:
the model (a hub name or repo id, or a local folder, whose files enter the engine's version)
and the reference clips that voices are cloned from (``NAME.wav``, ``NAME.STYLE.wav``). Plain
data: nothing here imports torch."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aorgen.errors import AorgenError


def digest_file(path: Path, sha) -> None:
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk)


@dataclass(frozen=True)
class ModelSource:
    """A model name (downloaded by the engine's library) or a local folder."""

    spec: str

    @property
    def folder(self) -> Path | None:
        path = Path(self.spec).expanduser()
        return path if path.is_dir() else None

    @property
    def key(self) -> str:
        return self.folder.name if self.folder else self.spec

    def digest(self, sha) -> None:
        """The name, and a local folder's file names and contents."""
        sha.update(self.key.encode())
        if self.folder:
            for path in sorted(p for p in self.folder.rglob("*") if p.is_file()):
                sha.update(path.name.encode())
                digest_file(path, sha)


def reference_clips(folder: Path | None, field: str = "references") -> dict[str, dict[str, Path]]:
    """name -> {style ('' for the plain clip) -> wav path}; ``field``: the option that named the folder."""
    clips: dict[str, dict[str, Path]] = {}
    for wav in sorted(folder.glob("*.wav")) if folder else ():
        name, _, style = wav.stem.partition(".")
        clips.setdefault(name, {})[style] = wav
    for name, styles in clips.items():
        if "" not in styles:
            raise AorgenError(f"reference voice '{name}' has styled clips but no {name}.wav", file=folder, field=field)
    return clips


def digest_references(clips: dict[str, dict[str, Path]], sha) -> None:
    """Every reference clip's name, style and content (they decide the cloned voices' audio)."""
    for name in sorted(clips):
        for style, wav in sorted(clips[name].items()):
            sha.update(f"{name}.{style}".encode())
            digest_file(wav, sha)
