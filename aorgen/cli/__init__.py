"""The command line: a thin shell over the library functions (which the tests call)."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

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
@click.option("--workers", type=click.IntRange(min=1, max=1024), default=os.cpu_count() or 1, show_default="number of CPUs",
              help="Worker processes (the output is the same for any number).")
@click.option("--seed", type=click.IntRange(min=0, max=2**63 - 1), help="Override the recipe's seed.")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Speech/RIR cache (default ~/.cache/aorgen).")
@click.option("--overwrite", is_flag=True,
              help="Replace an existing dataset folder, copying its rows whose spec is unchanged.")
@click.option("--no-reuse", is_flag=True, help="With --overwrite, render every row again.")
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True)
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
                        progress=_progress_bar("rendering"))
    click.echo(summary.describe())


@main.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.argument("parts", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace an existing dataset folder.")
def merge(out, parts, overwrite):
    """Join the outputs of 'build --shard i/N' (every part) into OUT/<name>."""
    from aorgen.dataset.merge import merge as run_merge

    click.echo(f"merged {len(parts)} parts -> {run_merge(list(parts), out, overwrite=overwrite)}")


@main.command()
@click.argument("dataset", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("row_id")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Audio file to write.")
@click.option("--bank", "banks", multiple=True, type=click.Path(path_type=Path),
              help="Sound bank folder (default: the banks the dataset was built with).")
@click.option("--cache-dir", type=click.Path(path_type=Path))
def render(dataset, row_id, output, banks, cache_dir):
    """Re-render one row from its stored spec (same bytes as the row)."""
    from aorgen.dataset.rerender import rerender_row

    same = rerender_row(dataset, row_id, output, banks=list(banks), cache_dir=cache_dir)
    click.echo(f"wrote {output} ({'identical to' if same else 'DIFFERENT from'} the stored row)")
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


@main.command()
@click.option("--engine", default=None, help="Only this engine.")
@click.option("--gender", default=None)
@click.option("--accent", default=None)
def voices(engine, gender, accent):
    """List the voices the installed engines offer."""
    from aorgen.tts import ENGINES, get_engine
    from aorgen.content.voices import VoiceFilter

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
                click.echo(f"{voice.key:40s} {voice.gender:8s} {voice.accent:22s} {voice.language:4s} {voice.license}")


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


@main.group()
def cache():
    """The speech / room-impulse-response cache."""


@cache.command("info")
@click.option("--cache-dir", type=click.Path(path_type=Path))
def cache_info_cmd(cache_dir):
    from aorgen.render.cache import cache_info, default_cache_dir

    root = cache_dir or default_cache_dir()
    click.echo(f"cache: {root}")
    for kind, (entries, size) in cache_info(root).items():
        click.echo(f"  {kind:10s} {entries:7d} entries {size / 1e6:9.1f} MB")


@cache.command("clear")
@click.option("--cache-dir", type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(["speech", "rir", "texture", "premix"]))
def cache_clear_cmd(cache_dir, kind):
    from aorgen.render.cache import cache_clear, default_cache_dir

    cache_clear(cache_dir or default_cache_dir(), kind)
    click.echo("cleared")


@main.group()
def soundbank():
    """Sound bank catalogues."""


def _banks(paths):
    from aorgen.content.soundbank import builtin_bank_paths, load_bank

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
    from aorgen.content.soundbank import validate_bank

    _report_problems([p for bank in _banks(banks) for p in validate_bank(bank)])


@soundbank.command("stats")
@click.argument("banks", nargs=-1, type=click.Path(path_type=Path))
def soundbank_stats(banks):
    from aorgen.content.soundbank import bank_stats

    _print_counters(bank_stats(_banks(banks)))


@soundbank.command("import")
@click.argument("source")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Bank folder to create.")
@click.option("--licenses", help="Keep only these SPDX ids, comma-separated (e.g. CC0-1.0,CC-BY-4.0).")
@click.option("--bank-name", help="Bank name (default: the dataset's).")
@click.option("--role", type=click.Choice(["background", "event"]), help="Role of every clip "
              "(default: the dataset's hint, else event below 5 s).")
@click.option("--tags-map", type=click.Path(path_type=Path), help="YAML label -> scene tags, merged over the default.")
@click.option("--sample-rate", type=click.IntRange(min=1000, max=384000), help="Resample to this rate (default: keep the source rate).")
@click.option("--overwrite", is_flag=True, help="Replace an existing bank folder.")
def soundbank_import(source, out, licenses, bank_name, role, tags_map, sample_rate, overwrite):
    """Import SOURCE as a bank: folder:PATH, esc50:PATH, fsd50k:PATH, urbansound8k:PATH,
    soundata:NAME or hf:REPO_ID (the last two download first)."""
    from aorgen.importers import import_bank

    summary = import_bank(source, out, licenses=[s.strip() for s in licenses.split(",")] if licenses else None,
                          bank_name=bank_name, role=role, tags_map=tags_map, sample_rate=sample_rate,
                          overwrite=overwrite, progress=_progress_bar("importing"))
    click.echo(summary.describe())


@main.group()
def templates():
    """Scenario templates."""


def _scripts(paths):
    from aorgen.resources import TEMPLATES_DIR
    from aorgen.content.templates import load_templates

    return load_templates(list(paths) or [TEMPLATES_DIR])


@templates.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--bank", "banks", multiple=True, type=click.Path(path_type=Path))
@click.option("--review/--no-review", default=True, show_default=True,
              help="Require the review fields (harm_type, harmful_reading; twins in the same category).")
def templates_lint(paths, banks, review):
    """Schema, scene tags, duplicates, lengths, rationale: errors as file:line, exit 2."""
    from aorgen.content.templates import lint

    known = set().union(*(b.scene_tags for b in _banks(banks)))
    _report_problems(lint(_scripts(paths), known, review=review))


@templates.command("stats")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def templates_stats(paths):
    """Counts, form per label, harm types and the wording AUROC of the contrast set."""
    from aorgen.content.stats import form_stats, harm_type_warnings, wording_auroc
    from aorgen.content.templates import stats

    scripts = _scripts(paths)
    _print_counters(stats(scripts) | form_stats(scripts))
    for warning in harm_type_warnings(scripts):
        click.echo(f"warning: {warning}")
    try:
        click.echo(wording_auroc(scripts).line())
    except ValueError as exc:
        click.echo(f"wording AUROC: not computed ({exc})")


# --- evaluation -----------------------------------------------------------------------


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


@main.command("eval")
@click.option("--dataset", required=True, help="Dataset folder or Hub id.")
@click.option("--model", required=True, help="Model id or local path (or served model name).")
@click.option("--condition", "conditions", default="audio", show_default=True,
              help="Comma-separated: audio, audio_only, speech_only, text, text_context, cot.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs"), show_default=True)
@click.option("--name", help="Run folder name (default: from the model and mitigation).")
@click.option("--adapter", help="Model adapter (default: from the checkpoint's config).")
@click.option("--revision")
@click.option("--dtype", default="auto", show_default=True)
@click.option("--device-map")
@click.option("--trust-remote-code", is_flag=True)
@click.option("--batch-size", type=POSITIVE, default=8, show_default=True)
@click.option("--max-new-tokens", type=POSITIVE, default=256, show_default=True)
@click.option("--sample", is_flag=True, help="Sample instead of greedy decoding.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--split", default="test", show_default=True)
@click.option("--limit", type=POSITIVE, help="At most this many samples (quick runs).")
@click.option("--option", "options", multiple=True, help="Adapter option KEY=VALUE (e.g. base_url=...).")
@click.option("--steer", type=click.Path(exists=True, path_type=Path), help="Steering vector to apply.")
@click.option("--coefficient", type=Finite(), help="Steering coefficient (default: the vector's).")
@click.option("--lora", type=click.Path(exists=True, path_type=Path), help="LoRA adapter folder to merge in.")
@click.option("--force", is_flag=True, help="Recompute cached generations.")
@click.option("--system", help="System prompt.")
@click.option("--temperature", type=Finite(), help="Sampling temperature (with --sample).")
@click.option("--top-p", type=Finite(), help="Nucleus sampling top-p (with --sample).")
@click.option("--shard", help="i/N: evaluate every N-th sample from i into RUN/shards/ (join: aorgen eval-merge).")
def eval_cmd(dataset, model, conditions, out, name, adapter, revision, dtype, device_map, trust_remote_code,
             batch_size, max_new_tokens, sample, seed, split, limit, options, steer, coefficient, lora, force,
             system, temperature, top_p, shard):
    """Run a model on the benchmark under matched conditions (resumable; one run folder is
    one configuration; --limit is a stratified random sample by label and category)."""
    from aorgen.evaluate.records import GenerationOptions

    adapter_options = _options(options, "--option")
    if adapter == "openai" or "base_url" in adapter_options:
        adapter_options.setdefault("concurrency", batch_size)
    kwargs = dict(
        conditions=[c.strip() for c in conditions.split(",") if c.strip()], out=out, batch_size=batch_size,
        generation=GenerationOptions(max_new_tokens=max_new_tokens, do_sample=sample, seed=seed,
                                     temperature=temperature, top_p=top_p),
        split=split, limit=limit, force=force, system=system, shard=_shard(shard),
        adapter_options=adapter_options,
    )
    if steer or lora:
        from aorgen.mitigate.apply import run_mitigated_eval

        summary = run_mitigated_eval(dataset, model, steer=steer, coefficient=coefficient, lora=lora, name=name,
                                     adapter=adapter, revision=revision, dtype=dtype, device_map=device_map,
                                     trust_remote_code=trust_remote_code, **kwargs)
    else:
        from aorgen.evaluate.run import run_eval

        summary = run_eval(dataset, model, name=name, adapter=adapter, revision=revision, dtype=dtype,
                           device_map=device_map, trust_remote_code=trust_remote_code, **kwargs)
    for cond in summary.generated.keys() | summary.cached.keys():
        click.echo(f"{cond}: {summary.generated.get(cond, 0)} generated, {summary.cached.get(cond, 0)} cached, "
                   f"{summary.errors.get(cond, 0)} errors")
    click.echo(f"-> {summary.run_dir}")


def _shard(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    i, sep, n = value.partition("/")
    if not (sep and i.isdigit() and n.isdigit() and 0 <= int(i) < int(n)):
        raise AorgenError(f"expected i/N with 0 <= i < N, got '{value}'", field="--shard")
    return int(i), int(n)


@main.command("eval-merge")
@click.argument("run", type=click.Path(exists=True, file_okay=False, path_type=Path))
def eval_merge(run):
    """Join the shards of RUN (aorgen eval --shard i/N) into RUN."""
    from aorgen.evaluate.run import merge_shards

    click.echo(f"{merge_shards(run)} generations merged -> {run}")


@main.command()
@click.argument("runs", type=click.Path(exists=True, path_type=Path))
@click.option("--judge", default="rules", show_default=True, help="rules | llm | wildguard | ensemble")
@click.option("--option", "options", multiple=True, help="Judge option KEY=VALUE (e.g. model=..., base_url=...).")
@click.option("--batch-size", type=POSITIVE, default=32, show_default=True)
@click.option("--force", is_flag=True)
def judge(runs, judge, options, batch_size, force):
    """Judge every response in a run folder (or a folder of runs): compliance or refusal."""
    from aorgen.evaluate.judge_runs import run_judge

    for summary in run_judge(runs, judge, judge_options=_options(options, "--option"), batch_size=batch_size,
                             force=force):
        counts = ", ".join(f"{k} {v}" for k, v in sorted(summary.counts.items()))
        click.echo(f"{summary.run_dir}: {summary.judged} judged, {summary.cached} cached; {counts}")


@main.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--out", type=click.Path(path_type=Path), required=True)
@click.option("--judge", default="rules", show_default=True)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
def report(runs, out, judge, seed):
    """Over-refusal report (markdown, CSV, PNG) comparing one or more runs."""
    from aorgen.evaluate.report import build_report

    built = build_report(list(runs), out, judge=judge, seed=seed)
    click.echo(f"report -> {built.out}")


@main.command("judge-eval")
@click.option("--xstest", "xstest", multiple=True, required=True, type=click.Path(exists=True, path_type=Path),
              help="XSTest completions CSV with human labels (repeatable).")
@click.option("--judge", default="rules", show_default=True)
@click.option("--option", "options", multiple=True)
def judge_eval_cmd(xstest, judge, options):
    """How well a judge agrees with XSTest's human refusal labels."""
    from aorgen.evaluate.judge_runs import format_judge_eval, judge_eval

    for path in xstest:
        click.echo(format_judge_eval(judge_eval(path, judge, judge_options=_options(options, "--option"))))


# --- mitigation -------------------------------------------------------------------------


@main.group()
def steer():
    """Activation steering vectors."""


@steer.command("fit")
@click.option("--dataset", required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--model", required=True)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Vector file (.safetensors).")
@click.option("--method", type=click.Choice(["contrast", "judged"]), default="contrast", show_default=True,
              help="contrast: harmful-contrast vs pseudo-harmful inputs; judged: refused vs complied responses.")
@click.option("--run", type=click.Path(exists=True, path_type=Path), help="Judged eval run (method judged).")
@click.option("--judge", default="rules", show_default=True)
@click.option("--split", default="train", show_default=True)
@click.option("--dtype", default="auto", show_default=True)
@click.option("--layer", type=click.IntRange(min=0), help="Fix the layer instead of sweeping.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
def steer_fit(dataset, model, out, method, run, judge, split, dtype, layer, seed):
    """Fit a refusal direction from the language model's decoder hidden states."""
    from aorgen.mitigate.steering import fit_from_dataset

    vector = fit_from_dataset(dataset, model, out, method=method, run=run, judge=judge, split=split,
                              dtype=dtype, layer=layer, seed=seed)
    click.echo(f"layer {vector.layer}, {vector.method}, saved -> {out}")


@main.command()
@click.option("--dataset", required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--model", required=True)
@click.option("--method", type=click.Choice(["rrs", "sft"]), default="rrs", show_default=True)
@click.option("--out", required=True, type=click.Path(path_type=Path))
@click.option("--steps", type=POSITIVE, help="Optimizer steps (default: from --epochs).")
@click.option("--epochs", type=Finite(0, open=True), default=1.0, show_default=True)
@click.option("--lr", type=Finite(0, open=True), default=1e-4, show_default=True)
@click.option("--batch-size", type=POSITIVE, default=4, show_default=True)
@click.option("--grad-accum", type=POSITIVE, default=4, show_default=True)
@click.option("--lora-r", type=POSITIVE, default=16, show_default=True)
@click.option("--dtype", default="auto", show_default=True, help="auto: bf16 on GPU, fp32 on CPU.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--no-resume", is_flag=True, help="Start over instead of resuming from the last checkpoint.")
def finetune(dataset, model, method, out, steps, epochs, lr, batch_size, grad_accum, lora_r, dtype, seed, no_resume):
    """LoRA fine-tuning against over-refusal: rrs (representation reshaping) or sft."""
    from aorgen.mitigate.finetune import finetune as run_finetune

    result = run_finetune(dataset, model, method, out, steps=steps, epochs=epochs, lr=lr, batch_size=batch_size,
                          grad_accum=grad_accum, lora_r=lora_r, resume=not no_resume, dtype=dtype, seed=seed)
    last = result.history[-1]["loss"] if result.history else float("nan")
    resumed = f", resumed from step {result.resumed_from}" if result.resumed_from else ""
    click.echo(f"{result.method}: {result.steps} steps{resumed}, last loss {last:.4f}; adapter -> {result.adapter_dir}")


@main.command()
@click.argument("before", type=click.Path(exists=True, path_type=Path))
@click.argument("after", type=click.Path(exists=True, path_type=Path))
@click.option("--judge", default="rules", show_default=True)
@click.option("--condition", "conditions", multiple=True,
              help="Compare only this condition (repeatable; default: every condition in the runs).")
@click.option("--tolerance", type=Finite(0), default=0.05, show_default=True,
              help="Largest tolerated fall of harmful refusal / rise of benign refusal (fraction).")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the comparison as JSON to this file.")
def compare(before, after, judge, conditions, tolerance, json_out):
    """Safety gate for a mitigation: paired ORR, harmful and benign refusal before and after, with
    intervals; exit status 1 when a gate fails (2 for bad input)."""
    from aorgen.mitigate.compare import compare_runs, write_json

    result = compare_runs(before, after, judge=judge, conditions=list(conditions) or None, tolerance=tolerance)
    click.echo(result.to_markdown())
    if json_out:
        write_json(result, json_out)
    if not result.passed:
        raise SystemExit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
