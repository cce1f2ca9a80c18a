"""Options and helpers shared by the stage command modules: each shared option means one
thing in every command that has it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from aorgen.errors import AorgenError

class Finite(click.ParamType):
    """A finite float (no NaN or inf) within optional bounds (``low`` exclusive when ``open``)."""

    name = "number"

    def __init__(self, low: float | None = None, *, open: bool = False) -> None:
        self.low, self.open = low, open

    def convert(self, value, param, ctx):
        import math

        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        if self.low is not None and (number <= self.low if self.open else number < self.low):
            self.fail(f"{value!r} must be {'>' if self.open else '>='} {self.low}", param, ctx)
        return number


POSITIVE = click.IntRange(min=1)


def _progress_bar(label: str):
    from tqdm import tqdm

    bar = {"tqdm": None}

    def update(done: int, total: int) -> None:
        if bar["tqdm"] is None:
            bar["tqdm"] = tqdm(total=total, desc=label, unit="clip", dynamic_ncols=True, file=sys.stderr,
                              disable=None)  # None: no bar when stderr is not a terminal
        bar["tqdm"].n = done
        bar["tqdm"].refresh()
        if done >= total:
            bar["tqdm"].close()

    return update


def _attempt_bars(label: str):
    """``update(attempt, done, total)``: one progress bar per attempt (the intelligibility gate)."""
    bars: dict[int, object] = {}

    def update(attempt: int, done: int, total: int) -> None:
        bars.setdefault(attempt, _progress_bar(f"{label}, attempt {attempt}"))(done, total)

    return update


def _shard(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    i, sep, n = value.partition("/")
    if not (sep and i.isdigit() and n.isdigit() and 0 <= int(i) < int(n)):
        raise AorgenError(f"expected i/N with 0 <= i < N, got '{value}'", field="--shard")
    return int(i), int(n)


def _report_problems(problems: list[str]) -> None:
    """Each problem on its own line on stderr (then their count, if several) and exit 2, or 'ok'."""
    for problem in problems:
        click.echo(problem, err=True)
    if len(problems) > 1:
        click.echo(f"{len(problems)} problems", err=True)
    if problems:
        sys.exit(2)
    click.echo("ok")


def _print_counters(counters: dict) -> None:
    for name, counter in counters.items():
        click.echo(f"{name}:")
        for key, count in sorted(counter.items()):
            click.echo(f"  {key:40s} {count}")


def _options(pairs: tuple[str, ...], field: str) -> dict:
    """KEY=VALUE pairs (values parsed as YAML scalars) into a dict."""
    import yaml

    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise AorgenError(f"expected KEY=VALUE, got '{pair}'", field=field)
        try:
            options[key] = yaml.safe_load(value)
        except yaml.YAMLError:
            raise AorgenError(f"cannot parse the value of '{key}' (a YAML scalar, list or mapping)",
                              field=field) from None
    return options


# --- options shared by several commands (one meaning each) ------------------------------

CACHE_DIR = click.option("--cache-dir", type=click.Path(path_type=Path),
                         help="Speech / room-impulse-response cache (default: $AORGEN_CACHE, else ~/.cache/aorgen).")
JUDGE = click.option("--judge", default="rules", show_default=True,
                     help="Judge, by name: rules | llm | wildguard | ensemble (its verdicts are kept per run).")


class _OldSpellings(click.Option):
    """An option that still accepts its old names (``old``) without showing them in help or errors."""

    def __init__(self, param_decls, old: tuple[str, ...] = (), **kwargs):
        super().__init__(param_decls, **kwargs)
        self.old = set(old)

    def _shown(self, method, ctx):
        opts, self.opts = self.opts, [o for o in self.opts if o not in self.old]
        try:
            return method(ctx)
        finally:
            self.opts = opts

    def get_help_record(self, ctx):
        return self._shown(super().get_help_record, ctx)

    def get_error_hint(self, ctx):
        return self._shown(super().get_error_hint, ctx)


def OUT(what: str, *, old: tuple[str, ...] = (), **kwargs):
    """``-o/--out``, one meaning in every command: where the command's result goes. ``what``
    says which, in the help: a file, the folder the command makes, or the folder that receives
    a folder the command names itself (``build``: <recipe name>/, ``eval``: <run name>/).
    ``old``: earlier spellings that keep working, unlisted."""
    return click.option("-o", "--out", *old, "out", cls=_OldSpellings, old=old, type=click.Path(path_type=Path),
                        help=f"Where the result goes: {what}", **kwargs)


SEED = click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
                    help="Seed of every random draw the command makes (same seed, same output).")
