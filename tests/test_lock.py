"""The tracked lock agrees with pyproject.toml: every requirement of the core and of the extras
the test command installs is pinned in requirements/test.lock, at a version its range allows,
with hashes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCKED_EXTRAS = ("test", "eval", "train", "piper", "ray", "asr")


def locked() -> dict[str, tuple[Version, int]]:
    """name -> (version, number of hashes) from a pip-compile lock file."""
    pins: dict[str, tuple[Version, int]] = {}
    name = None
    for line in (ROOT / "requirements" / "test.lock").read_text().splitlines():
        if match := re.match(r"^([A-Za-z0-9._-]+)==([^ \\]+)", line):
            name = canonicalize_name(match[1])
            pins[name] = (Version(match[2]), 0)
        elif name and line.strip().startswith("--hash=sha256:"):
            version, hashes = pins[name]
            pins[name] = (version, hashes + 1)
    return pins


def test_every_requirement_is_pinned_within_its_range_with_hashes():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in LOCKED_EXTRAS:
        requirements += project["optional-dependencies"][extra]
    pins = locked()
    assert pins, "requirements/test.lock has no pins"
    problems = []
    for text in requirements:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        if name not in pins:
            problems.append(f"{req.name}: not in the lock")
            continue
        version, hashes = pins[name]
        if not req.specifier.contains(version, prereleases=True) and not req.specifier.contains(
                Version(version.public), prereleases=True):
            problems.append(f"{req.name}: locked {version} is outside {req.specifier}")
        if hashes == 0:
            problems.append(f"{req.name}: no hash")
    assert not problems, "run `bash requirements/lock.sh`: " + "; ".join(problems)


def test_the_lock_pins_the_cpu_torch():
    version, _ = locked()["torch"]
    assert version.public == "2.13.0"
