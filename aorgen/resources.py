"""Where the project's built-in content lives (templates, sound banks, release recipes)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(os.environ.get("AORGEN_HOME", Path(__file__).resolve().parent.parent))
TEMPLATES_DIR = ROOT / "templates"
SOUND_BANKS_DIR = ROOT / "sound_banks"
RELEASE_DIR = ROOT / "release"
DEFAULT_RECIPE = RELEASE_DIR / "aor-bench-v1.yaml"
