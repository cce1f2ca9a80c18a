"""One registry mechanism: lazy imports and one "unknown X (known: ...; closest: ...)" error."""

from __future__ import annotations

import subprocess
import sys

import pytest

from aorgen.common.registry import Registry
from aorgen.errors import AorgenError


def test_unknown_name_lists_the_known_and_the_closest():
    reg = Registry("judge", {"rules": "x:y", "llm": "x:y", "wildguard": "x:y"}, field="judge")
    with pytest.raises(AorgenError) as err:
        reg.load("rulez")
    assert str(err.value) == "judge: unknown judge 'rulez' (known: llm, rules, wildguard; closest: rules)"
    with pytest.raises(AorgenError, match=r"\(known: llm, rules, wildguard\)$"):
        reg.check("zzzzzz")  # nothing close: no 'closest' part


def test_string_entries_are_imported_on_load_and_objects_returned_as_they_are():
    reg = Registry("thing", {"join": "os.path:join"})
    reg.register("identity", lambda x: x)

    @reg.register("double")
    def double(x):
        return 2 * x

    assert reg.load("join")("a", "b") == "a/b"
    assert reg.load("identity")(3) == 3 and reg.load("double")(3) == 6
    assert sorted(reg) == ["double", "identity", "join"]


@pytest.mark.parametrize("lookup, message", [
    ("from aorgen.tts import get_engine; get_engine('espek')", "unknown speech engine 'espek'"),
    ("from aorgen.evaluate.judges import get_judge; get_judge('rulez')", "unknown judge 'rulez'"),
    ("from aorgen.evaluate.models import resolve_adapter; resolve_adapter('m', 'qwen2audio')",
     "unknown adapter 'qwen2audio'"),
    ("from aorgen.dataset.executors import run_tasks; list(run_tasks(len, [], executor='rey'))",
     "unknown executor 'rey'"),
    ("from aorgen.importers import resolve_source; resolve_source('esc5:/x')", "unknown importer 'esc5'"),
])
def test_every_registry_names_the_closest_match_without_importing_torch(lookup, message):
    code = (f"import sys\nfrom aorgen.errors import AorgenError\ntry:\n    {lookup}\nexcept AorgenError as e:\n"
            f"    print(e)\nprint('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    first, torch_loaded = done.stdout.strip().splitlines()
    assert message in first and "closest: " in first
    assert torch_loaded == "False"
