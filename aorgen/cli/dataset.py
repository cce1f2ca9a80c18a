"""Commands of the build-and-publish stage: build, merge, render (a stored row), inspect, publish, cache."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from aorgen.cli.group import main
from aorgen.cli.options import CACHE_DIR, OUT, POSITIVE, _attempt_bars, _progress_bar, _shard


@main.command()
@click.option("--recipe", type=click.Path(path_type=Path), help="Recipe YAML (default: the v1 release recipe).")
@OUT("the folder that receives the dataset folder <recipe name>/.", default=Path("."), show_default=True)
@click.option("--workers", type=click.IntRange(min=1, max=1024), default=os.cpu_count() or 1, show_default="number of CPUs",
              help="Worker processes (the output is the same for any number).")
@click.option("--seed", type=click.IntRange(min=0, max=2**63 - 1), help="Seed of every random draw the build makes (default: the recipe's).")
@CACHE_DIR
@click.option("--overwrite", is_flag=True,
              help="Replace an existing dataset folder, copying its rows whose spec is unchanged.")
@click.option("--no-reuse", is_flag=True, help="With --overwrite, render every row again.")
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Where shards are rendered: local (processes) or ray (a Ray cluster).")
@click.option("--address", help="Ray cluster address (with --executor ray), e.g. auto.")
@click.option("--shard", help="Build only shard i of N (i/N), for merging later.")
@click.option("--limit", type=POSITIVE, help="Scale every per-category count down to at most this (quick builds).")
def build(recipe, out, workers, seed, cache_dir, overwrite, no_reuse, executor, address, shard, limit):
    """Build a benchmark dataset from a recipe (offline, reproducible, resumable)."""
    from aorgen.dataset.build import build as run_build
    from aorgen.content.recipe import load_recipe

    loaded = load_recipe(recipe)
    if seed is not None:
        loaded.seed = seed
    if limit is not None:
        loaded.samples_per_category = {k: min(v, limit) for k, v in loaded.samples_per_category.items()}
    summary = run_build(loaded, out, workers=workers, cache_dir=cache_dir, overwrite=overwrite,
                        reuse=not no_reuse, executor=executor, address=address, shard=_shard(shard),
                        progress=_progress_bar("rendering"), gate_progress=_attempt_bars("hearing (intelligibility gate)"))
    click.echo(summary.describe())


@main.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.argument("parts", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace an existing dataset folder.")
def merge(out, parts, overwrite):
    """Join the outputs of 'build --shard i/N' (every part) into OUT/<name> (OUT: the folder that
    receives the dataset folder, as build's --out)."""
    from aorgen.dataset.merge import merge as run_merge

    click.echo(f"merged {len(parts)} parts -> {run_merge(list(parts), out, overwrite=overwrite)}")


@main.command()
@click.argument("dataset", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("row_id")
@OUT("the audio file to write (.flac, .wav or .ogg).", old=("--output",), required=True)
@click.option("--bank", "banks", multiple=True, type=click.Path(path_type=Path),
              help="Sound bank folder (default: the banks the dataset was built with).")
@CACHE_DIR
def render(dataset, row_id, out, banks, cache_dir):
    """Re-render one row from its stored spec (same bytes as the row)."""
    from aorgen.dataset.rerender import rerender_row

    same = rerender_row(dataset, row_id, out, banks=list(banks), cache_dir=cache_dir)
    click.echo(f"wrote {out} ({'identical to' if same else 'DIFFERENT from'} the stored row)")
    if not same:
        sys.exit(1)


@main.command()
@click.argument("dataset", type=click.Path(exists=True, file_okay=False, path_type=Path))
def inspect(dataset):
    """Counts per category and label, durations, SNRs, voices, QC."""
    from aorgen.dataset.summary import inspect_dataset

    click.echo(inspect_dataset(dataset))


@main.command()
@click.argument("dataset", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--repo-id", required=True, help="ORG/NAME on the Hugging Face Hub.")
@click.option("--private", is_flag=True, help="Only you and your organisation see the repo.")
@click.option("--gated", type=click.Choice(["auto", "manual"]), default=None,
              help="Users must accept the card's access prompt first (auto: at once; manual: you approve).")
@click.option("--revision", help="Branch to push to.")
@click.option("--dry-run", is_flag=True, help="List what would be uploaded; contact nobody.")
def publish(dataset, repo_id, private, gated, revision, dry_run):
    """Push a built dataset folder to the Hugging Face Hub (token from env or login; never printed)."""
    from aorgen.dataset.publish import check_publishable, upload_plan
    from aorgen.dataset.publish import publish as run_publish

    if dry_run:
        check_publishable(dataset, repo_id, gated)
        files = upload_plan(dataset)
        for path, size in files:
            click.echo(f"{size:>12,}  {path}")
        total = sum(size for _, size in files)
        access = ", ".join(x for x in ("private" if private else "public", f"gated ({gated})" if gated else "") if x)
        click.echo(f"would upload {len(files)} files ({total / 1e6:.1f} MB) to datasets/{repo_id} [{access}]")
        return
    url = run_publish(dataset, repo_id, private=private, revision=revision, gated=gated)
    click.echo(f"published {dataset} -> {url}")


@main.group()
def cache():
    """The speech / room-impulse-response cache."""


@cache.command("info")
@CACHE_DIR
def cache_info_cmd(cache_dir):
    """Entries and size of each kind of cache entry."""
    from aorgen.render.cache import cache_info, default_cache_dir

    root = cache_dir or default_cache_dir()
    click.echo(f"cache: {root}")
    for kind, (entries, size) in cache_info(root).items():
        click.echo(f"  {kind:10s} {entries:7d} entries {size / 1e6:9.1f} MB")


@cache.command("clear")
@CACHE_DIR
@click.option("--kind", type=click.Choice(["speech", "rir", "texture", "premix"]))
def cache_clear_cmd(cache_dir, kind):
    """Delete the cache (or one kind of entry)."""
    from aorgen.render.cache import cache_clear, default_cache_dir

    cache_clear(cache_dir or default_cache_dir(), kind)
    click.echo("cleared")
