"""The CLI: commands listed by stage in ``aorgen --help``, a help text on every command and
subcommand (through Click's runner: no subprocess needed)."""

from __future__ import annotations

import click
from click.testing import CliRunner

from aorgen.cli import main


def _commands(group: click.Group, prefix: str = ""):
    for name, cmd in group.commands.items():
        yield f"{prefix}{name}", cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, f"{prefix}{name} ")


def test_help_lists_the_commands_under_their_stage():
    out = CliRunner().invoke(main, ["--help"]).output
    stages = ["Content:", "Build and publish:", "Evaluate:", "Mitigate:"]
    positions = [out.index(s) for s in stages]
    assert positions == sorted(positions)
    stage_of = {}
    for line in out[out.index("Commands:"):].splitlines()[1:]:
        if line.strip().endswith(":"):
            current = line.strip()
        elif line.startswith("    "):
            stage_of[line.split()[0]] = current
    assert stage_of["build"] == stage_of["publish"] == "Build and publish:"
    assert stage_of["templates"] == stage_of["voices"] == "Content:"
    assert stage_of["eval"] == stage_of["judge"] == stage_of["report"] == "Evaluate:"
    assert stage_of["steer"] == stage_of["compare"] == "Mitigate:"
    assert set(stage_of) == set(main.commands)


def test_every_command_and_subcommand_has_a_help_text():
    missing = [name for name, cmd in _commands(main) if not (cmd.help or "").strip()]
    assert missing == []


def test_out_is_where_the_result_goes_in_every_command():
    """``-o/--out`` is one option everywhere; its help says what the result is (file or folder)."""
    outs = {name: p for name, cmd in _commands(main) for p in cmd.params if p.name == "out" and isinstance(p, click.Option)}
    assert {"build", "eval", "report", "render", "finetune", "steer fit", "soundbank import"} <= set(outs)
    for name, param in outs.items():
        shown = CliRunner().invoke(main, [*name.split(), "--help"]).output
        assert "-o, --out PATH" in shown and "--output" not in shown, name
        assert param.help.startswith("Where the result goes: the ") and ("file" in param.help or "folder" in param.help)
    assert str(outs["build"].default) == "."  # ./<recipe name>/ as before
