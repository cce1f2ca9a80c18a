"""Commands of the content stage: voices, soundbank, templates."""

from __future__ import annotations

from pathlib import Path

import click

from aorgen.errors import AorgenError
from aorgen.cli.group import main
from aorgen.cli.options import OUT, _print_counters, _progress_bar, _report_problems


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
                click.echo(f"{voice.key:40s} {voice.gender:8s} {voice.accent:22s} {voice.language:4s} {voice.license:20s}"
                           f" {voice.speaker}".rstrip())


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
    """One line per clip: id, role, duration, licence, scene tags (default: the built-in banks)."""
    for bank in _banks(banks):
        for clip in bank.catalogue.clips:
            if tag is None or tag in clip.scene_tags:
                click.echo(f"{bank.name}/{clip.id:40s} {clip.role:10s} {clip.duration_s:5.1f}s "
                           f"{clip.license:18s} {','.join(clip.scene_tags)}")


@soundbank.command("validate")
@click.argument("banks", nargs=-1, type=click.Path(path_type=Path))
def soundbank_validate(banks):
    """Check catalogues against their audio files: problems on stderr, exit 2."""
    from aorgen.content.soundbank import validate_bank

    _report_problems([p for bank in _banks(banks) for p in validate_bank(bank)])


@soundbank.command("stats")
@click.argument("banks", nargs=-1, type=click.Path(path_type=Path))
def soundbank_stats(banks):
    """Counts per role, licence and scene tag."""
    from aorgen.content.soundbank import bank_stats

    _print_counters(bank_stats(_banks(banks)))


@soundbank.command("import")
@click.argument("source")
@OUT("the bank folder to create.", required=True)
@click.option("--licenses", help="Keep only these SPDX ids, comma-separated (e.g. CC0-1.0,CC-BY-4.0).")
@click.option("--bank-name", help="Bank name (default: the dataset's).")
@click.option("--role", type=click.Choice(["background", "event"]), help="Role of every clip "
              "(default: the dataset's hint, else event below 5 s).")
@click.option("--tags-map", type=click.Path(path_type=Path), help="YAML label -> scene tags, merged over the default.")
@click.option("--sample-rate", type=click.IntRange(min=1000, max=384000), help="Resample to this rate (default: keep the source rate).")
@click.option("--overwrite", is_flag=True, help="Replace an existing bank folder.")
@click.option("--curated", is_flag=True, help="Use the source's reviewed label map and licence allow-list "
              "(fsd50k: CC0/CC-BY only, no gunshot/explosion/scream labels).")
def soundbank_import(source, out, licenses, bank_name, role, tags_map, sample_rate, overwrite, curated):
    """Import SOURCE as a bank: folder:PATH, esc50:PATH, fsd50k:PATH, urbansound8k:PATH,
    soundata:NAME or hf:REPO_ID (the last two download first)."""
    from aorgen.importers import import_bank

    summary = import_bank(source, out, licenses=[s.strip() for s in licenses.split(",")] if licenses else None,
                          bank_name=bank_name, role=role, tags_map=tags_map, sample_rate=sample_rate,
                          overwrite=overwrite, progress=_progress_bar("importing"), curated=curated)
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
@click.option("--cues", "cue_file", type=click.Path(path_type=Path),
              help="Scene speech cue file to lint with the scripts (default: templates/cues/cues.yaml).")
def templates_lint(paths, banks, review, cue_file):
    """Schema, scene tags, duplicates, lengths, rationale, and the scene speech cues (every
    tag of a pseudo-harmful script has some): errors as file:line, exit 2."""
    from aorgen.content.cues import lint_cues, load_cues
    from aorgen.content.templates import lint

    known = set().union(*(b.scene_tags for b in _banks(banks)))
    scripts = _scripts(paths)
    needed = {t for s in scripts if s.label == "pseudo_harmful" for t in s.script.scene_tags}
    _report_problems(lint(scripts, known, review=review) + lint_cues(load_cues(cue_file), needed, None if banks else known))


@templates.command("stats")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def templates_stats(paths):
    """Counts, form per label, harm types and the wording AUROC of the contrast set."""
    from aorgen.content.stats import form_stats, harm_type_warnings, near_duplicate_lines, wording_auroc
    from aorgen.content.templates import stats

    scripts = _scripts(paths)
    _print_counters(stats(scripts) | form_stats(scripts))
    for warning in harm_type_warnings(scripts):
        click.echo(f"warning: {warning}")
    for line in near_duplicate_lines(scripts):
        click.echo(line)
    try:
        click.echo(wording_auroc(scripts).line())
    except ValueError as exc:
        click.echo(f"wording AUROC: not computed ({exc})")
