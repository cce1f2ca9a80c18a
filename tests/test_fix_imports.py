"""scripts/fix_imports.py rewrites imports of moved modules (docs/layout-map.tsv), idempotently.

fix_imports: skip (the old names below are its inputs)
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("fix_imports", ROOT / "scripts" / "fix_imports.py")
fix_imports = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fix_imports)
MAPPING = fix_imports.load_map(ROOT / "docs" / "layout-map.tsv")

OLD = '''import aorgen.build
from aorgen import gate as gate_module, errors
from aorgen.plan import plan, sample_rng
from aorgen.render import render
from aorgen.dataset import iter_rows
monkeypatch.setattr("aorgen.build.atomic_write_bytes", f)
patch.setattr(aorgen.build, "x", 1)
"""See :func:`aorgen.executors.run_tasks`."""
'''
NEW = '''import aorgen.dataset.build
from aorgen import errors
from aorgen.plan import gate as gate_module
from aorgen.plan.planner import plan, sample_rng
from aorgen.render.mix import render
from aorgen.dataset.schema import iter_rows
monkeypatch.setattr("aorgen.dataset.build.atomic_write_bytes", f)
patch.setattr(aorgen.dataset.build, "x", 1)
"""See :func:`aorgen.dataset.executors.run_tasks`."""
'''


def test_absolute_and_from_aorgen_imports_are_rewritten_and_a_second_run_changes_nothing():
    here = ROOT / "tests" / "test_x.py"
    once = fix_imports.rewrite(OLD, here, MAPPING)
    assert once == NEW
    assert fix_imports.rewrite(once, here, MAPPING) == once


def test_new_package_submodules_are_left_alone():
    text = "from aorgen.render import mix, scene\nfrom aorgen.plan.spec import SampleSpec\nimport aorgen.dataset.schema\n"
    assert fix_imports.rewrite(text, ROOT / "tests" / "test_x.py", MAPPING) == text


def test_relative_imports_follow_moves_in_the_package():
    here = ROOT / "aorgen" / "evaluate" / "metrics.py"
    old = "from .cache import RecordCache\nfrom .judging import find_runs\nfrom . import metrics, dataset\n"
    new = fix_imports.rewrite(old, here, MAPPING)
    assert new == ("from .record_files import RecordCache\nfrom .judge_runs import find_runs\n"
                   "from . import metrics\nfrom . import samples as dataset\n")
    assert fix_imports.rewrite(new, here, MAPPING) == new
