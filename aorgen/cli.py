"""The command line: a thin shell over the library functions (which the tests call)."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import click

from aorgen.errors import AorgenError

VERBOSE = {"on": False}


class _Group(click.Group):
    """Prints an AorgenError as one line and exits with status 2 (traceback with -v)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AorgenError as err:
            if VERBOSE["on"]:
                traceback.print_exc()
            click.echo(f"aorgen: error: {err}", err=True)
            sys.exit(2)


@click.group(cls=_Group)
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(package_name="aorgen")
def main(verbose: bool) -> None:
    """Build, publish, evaluate and mitigate audio over-refusal benchmarks."""
    VERBOSE["on"] = verbose


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


def _shard(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    try:
        index, count = (int(x) for x in value.split("/"))
        assert 0 <= index < count
    except (ValueError, AssertionError):
        raise AorgenError(f"expected i/N with 0 <= i < N, got '{value}'", field="--shard") from None
    return index, count


@main.command()
@click.option("--recipe", type=click.Path(path_type=Path), help="Recipe YAML (default: the v1 release recipe).")
@click.option("--out", type=click.Path(path_type=Path), default=Path("."), show_default=True,
              help="Folder that receives <recipe name>/.")
@click.option("--workers", type=int, default=1, show_default=True, help="Worker processes.")
@click.option("--seed", type=int, help="Override the recipe's seed.")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Speech/RIR cache (default ~/.cache/aorgen).")
@click.option("--overwrite", is_flag=True, help="Replace an existing dataset folder.")
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True)
@click.option("--address", help="Ray cluster address (with --executor ray), e.g. auto.")
@click.option("--shard", help="Build only shard i of N (i/N), for merging later.")
@click.option("--limit", type=int, help="Scale every per-category count down to at most this (quick builds).")
def build(recipe, out, workers, seed, cache_dir, overwrite, executor, address, shard, limit):
    """Build a benchmark dataset from a recipe (offline, reproducible, resumable)."""
    from aorgen.build import build as run_build
    from aorgen.recipe import load_recipe

    loaded = load_recipe(recipe)
    if seed is not None:
        loaded.seed = seed
    if limit is not None:
        loaded.samples_per_category = {k: min(v, limit) for k, v in loaded.samples_per_category.items()}
    summary = run_build(loaded, out, workers=workers, cache_dir=cache_dir, overwrite=overwrite,
                        executor=executor, address=address, shard=_shard(shard),
                        progress=_progress_bar("rendering"))
    click.echo(summary.describe())


@main.command()
@click.argument("dataset", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("row_id")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Audio file to write.")
@click.option("--bank", "banks", multiple=True, type=click.Path(path_type=Path),
              help="Sound bank folder (default: the banks the dataset was built with).")
@click.option("--cache-dir", type=click.Path(path_type=Path))
def render(dataset, row_id, output, banks, cache_dir):
    """Re-render one row from its stored spec (same bytes as the row)."""
    from aorgen.rerender import rerender_row

    same = rerender_row(dataset, row_id, output, banks=list(banks), cache_dir=cache_dir)
    click.echo(f"wrote {output} ({'identical to' if same else 'DIFFERENT from'} the stored row)")
    if not same:
        sys.exit(1)


@main.command()
@click.argument("dataset", type=click.Path(exists=True, file_okay=False, path_type=Path))
def inspect(dataset):
    """Counts per category and label, durations, SNRs, voices, QC."""
    from aorgen.inspect import inspect_dataset

    click.echo(inspect_dataset(dataset))


@main.command()
@click.argument("dataset", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--repo-id", required=True, help="ORG/NAME on the Hugging Face Hub.")
@click.option("--private", is_flag=True)
@click.option("--revision", help="Branch to push to.")
def publish(dataset, repo_id, private, revision):
    """Push a built dataset folder to the Hugging Face Hub (token from env or login)."""
    from aorgen.publish import publish as run_publish

    url = run_publish(dataset, repo_id, private=private, revision=revision)
    click.echo(f"published {dataset} -> {url}")


@main.command()
@click.option("--engine", default=None, help="Only this engine.")
@click.option("--gender", default=None)
@click.option("--accent", default=None)
def voices(engine, gender, accent):
    """List the voices the installed engines offer."""
    from aorgen.tts import ENGINES, get_engine
    from aorgen.voices import VoiceFilter

    for name in [engine] if engine else sorted(ENGINES):
        try:
            catalogue = get_engine(name).voices()
        except AorgenError as err:
            if engine:
                raise
            click.echo(f"# {name}: unavailable ({err})")
            continue
        wanted = VoiceFilter(engine=name, gender=[gender] if gender else [], accent=[accent] if accent else [], language=[])
        for voice in catalogue:
            if wanted.matches(voice):
                click.echo(f"{voice.key:40s} {voice.gender:8s} {voice.accent:22s} {voice.language}")


@main.group()
def cache():
    """The speech / room-impulse-response cache."""


@cache.command("info")
@click.option("--cache-dir", type=click.Path(path_type=Path))
def cache_info_cmd(cache_dir):
    from aorgen.cache import cache_info, default_cache_dir

    root = cache_dir or default_cache_dir()
    click.echo(f"cache: {root}")
    for kind, (entries, size) in cache_info(root).items():
        click.echo(f"  {kind:10s} {entries:7d} entries {size / 1e6:9.1f} MB")


@cache.command("clear")
@click.option("--cache-dir", type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(["speech", "rir", "texture"]))
def cache_clear_cmd(cache_dir, kind):
    from aorgen.cache import cache_clear, default_cache_dir

    cache_clear(cache_dir or default_cache_dir(), kind)
    click.echo("cleared")


@main.group()
def soundbank():
    """Sound bank catalogues."""


def _banks(paths):
    from aorgen.soundbank import builtin_bank_paths, load_bank

    return [load_bank(p) for p in (paths or builtin_bank_paths())]


@soundbank.command("list")
@click.argument("banks", nargs=-1, type=click.Path(path_type=Path))
@click.option("--tag", help="Only clips with this scene tag.")
def soundbank_list(banks, tag):
    for bank in _banks(banks):
        for clip in bank.catalogue.clips:
            if tag is None or tag in clip.scene_tags:
                click.echo(f"{bank.name}/{clip.id:40s} {clip.role:10s} {clip.duration_s:5.1f}s "
                           f"{clip.license:18s} {','.join(clip.scene_tags)}")


@soundbank.command("validate")
@click.argument("banks", nargs=-1, type=click.Path(path_type=Path))
def soundbank_validate(banks):
    from aorgen.soundbank import validate_bank

    problems = [p for bank in _banks(banks) for p in validate_bank(bank)]
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(2)
    click.echo("ok")


@soundbank.command("stats")
@click.argument("banks", nargs=-1, type=click.Path(path_type=Path))
def soundbank_stats(banks):
    from aorgen.soundbank import bank_stats

    for name, counter in bank_stats(_banks(banks)).items():
        click.echo(f"{name}:")
        for key, count in sorted(counter.items()):
            click.echo(f"  {key:32s} {count}")


@main.group()
def templates():
    """Scenario templates."""


def _scripts(paths):
    from aorgen.resources import TEMPLATES_DIR
    from aorgen.templates import load_templates

    return load_templates(list(paths) or [TEMPLATES_DIR])


@templates.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--bank", "banks", multiple=True, type=click.Path(path_type=Path))
def templates_lint(paths, banks):
    """Schema, scene tags, duplicates, lengths, rationale: errors as file:line, exit 2."""
    from aorgen.templates import lint

    known = set().union(*(b.scene_tags for b in _banks(banks)))
    problems = lint(_scripts(paths), known)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s)", err=True)
        sys.exit(2)
    click.echo("ok")


@templates.command("stats")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def templates_stats(paths):
    from aorgen.templates import stats

    for name, counter in stats(_scripts(paths)).items():
        click.echo(f"{name}:")
        for key, count in sorted(counter.items()):
            click.echo(f"  {key:40s} {count}")


if __name__ == "__main__":  # pragma: no cover
    main()
