"""The ``aorgen`` command group: one-line errors (exit status 2), commands listed by stage."""

from __future__ import annotations

import sys
import traceback

import click

from aorgen.errors import AorgenError

VERBOSE = {"on": False}


def _input_error(exc: BaseException) -> AorgenError | None:
    """The one-line error for an exception that bad input (a file, a folder, a dataset)
    raises from deep inside a library; None for anything else (a bug: traceback)."""
    import json

    if isinstance(exc, AorgenError):
        return exc
    if isinstance(exc, OSError):
        where = exc.filename if exc.filename is not None else None
        return AorgenError(exc.strerror or str(exc), file=where)
    if isinstance(exc, json.JSONDecodeError):
        return AorgenError(f"malformed JSON: {exc.msg}", item=f"line {exc.lineno}")
    if isinstance(exc, UnicodeDecodeError):
        return AorgenError(f"not UTF-8 text: {exc.reason}")
    if "pyarrow" in sys.modules:
        import pyarrow as pa

        if isinstance(exc, pa.ArrowException):
            return AorgenError(f"unreadable table data: {exc}")
    return None


class _Group(click.Group):
    """Prints an AorgenError (or the OSError, JSON, Arrow error bad input raises) as one
    line and exits with status 2 (traceback with -v); usage errors are one line too."""

    def main(self, *args, **kwargs):
        kwargs["standalone_mode"] = False
        VERBOSE["on"] = False  # until -v is parsed (a second call in one process starts afresh)
        try:
            return super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("aborted", err=True)
            sys.exit(1)
        except click.ClickException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # no command given: the help, as click shows it
                exc.show()
                sys.exit(exc.exit_code)
            if VERBOSE["on"]:
                traceback.print_exc()
            ctx = getattr(exc, "ctx", None)
            where = f"{ctx.info_name}: " if ctx is not None and ctx.parent is not None else ""
            click.echo(f"aorgen: error: {where}{' '.join(exc.format_message().split())}", err=True)
            sys.exit(exc.exit_code)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            err = _input_error(exc)
            if err is None:
                raise
            if VERBOSE["on"]:
                traceback.print_exc()
            click.echo(f"aorgen: error: {err}", err=True)
            sys.exit(2)

    # `aorgen --help` lists the commands by stage (the folder each stage's command module is in)
    SECTIONS = {"content": "Content", "dataset": "Build and publish", "evaluate": "Evaluate",
                "mitigate": "Mitigate"}

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows: dict[str, list[tuple[str, str]]] = {}
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is None or cmd.hidden:
                continue
            stage = (cmd.callback.__module__ if cmd.callback else "").rsplit(".", 1)[-1]
            rows.setdefault(self.SECTIONS.get(stage, "Other"), []).append(
                (name, cmd.get_short_help_str(limit=formatter.width - 6 - max(len(n) for n in self.list_commands(ctx)))))
        with formatter.section("Commands"):
            for title in [*self.SECTIONS.values(), "Other"]:
                if rows.get(title):
                    formatter.write_text(f"{title}:")
                    with formatter.indentation():
                        formatter.write_dl(rows[title])

@click.group(cls=_Group)
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(package_name="aorgen")
def main(verbose: bool) -> None:
    """Build, publish, evaluate and mitigate audio over-refusal benchmarks."""
    VERBOSE["on"] = verbose
