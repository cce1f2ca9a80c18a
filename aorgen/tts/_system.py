"""Shared plumbing for engines that run a system program (Flite, Festival, RHVoice): find the
program or say in one line which package and command install it, read the package versions
for cache keys, and run the program into a temporary WAV file."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path

import numpy as np
import soundfile as sf

from aorgen.errors import AorgenError
from aorgen.tts.base import Synthesis

INSTALL_HINT = "sudo bash scripts/system-packages.sh voices"


def find_program(program: str, package: str) -> str:
    """The path of ``program``; a missing one is one line naming its package and the installer."""
    path = shutil.which(program)
    if path is None:
        raise AorgenError(f"the '{program}' program is missing (system package '{package}'); "
                          f"install it with: {INSTALL_HINT}")
    return path


def require_path(path: Path, package: str) -> Path:
    """A data file or folder a system package installs, or one line naming the package."""
    if not path.exists():
        raise AorgenError(f"missing voice data (system package '{package}'); install it with: {INSTALL_HINT}",
                          file=path)
    return path


@cache
def package_version(package: str) -> str:
    """The installed Debian package version ('' where dpkg is not there)."""
    if shutil.which("dpkg-query") is None:
        return ""
    done = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def versions(packages: list[str] | tuple[str, ...]) -> str:
    return " ".join(f"{p}={package_version(p) or '?'}" for p in packages)


def run_to_wav(command: list[str], *, text: str, voice: str, engine: str, stdin_text: bool = False,
               text_file: bool = False, volume: float = 1.0) -> Synthesis:
    """Run ``command`` with ``{out}`` (and ``{text}``, a file holding the text) replaced by paths
    in a fresh temporary folder and read the WAV it writes."""
    with tempfile.TemporaryDirectory(prefix=f"aorgen-{engine}-") as tmp:
        out, text_path = Path(tmp) / "out.wav", Path(tmp) / "text.txt"
        text_path.write_text(text + "\n", encoding="utf-8")
        args = [a.replace("{out}", str(out)).replace("{text}", str(text_path)) for a in command]
        done = subprocess.run(args, input=text.encode() if stdin_text else None, capture_output=True,
                              timeout=300)
        if done.returncode != 0 or not out.is_file() or out.stat().st_size <= 44:
            detail = done.stderr.decode(errors="replace").strip().splitlines()
            raise AorgenError(f"{engine} could not speak {text!r} ({detail[-1] if detail else 'no audio'})",
                              item=voice, field="text")
        samples, rate = sf.read(out, dtype="float32", always_2d=True)
    mono = samples.mean(axis=1) if samples.shape[1] > 1 else samples[:, 0]
    if not np.any(mono):
        raise AorgenError(f"{engine} produced silence for {text!r}", item=voice, field="text")
    return Synthesis(np.ascontiguousarray(mono * volume, dtype=np.float32), int(rate))
