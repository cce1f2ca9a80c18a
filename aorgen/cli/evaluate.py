"""Commands of the evaluation stage: eval, eval-merge, judge, report, judge-eval."""

from __future__ import annotations

from pathlib import Path

import click

from aorgen.cli.group import main
from aorgen.cli.options import JUDGE, OUT, POSITIVE, SEED, Finite, _options, _shard


@main.command("eval")
@click.option("--dataset", required=True, help="Dataset folder or Hub id.")
@click.option("--model", required=True, help="Model id or local path (or served model name).")
@click.option("--condition", "conditions", default="audio", show_default=True,
              help="Comma-separated: audio, audio_only, speech_only, text, text_context, cot.")
@OUT("the folder that receives the run folder <run name>/ (see --name).", default=Path("runs"), show_default=True)
@click.option("--name", help="Run folder name (default: from the model and mitigation).")
@click.option("--adapter", help="Model adapter (default: from the checkpoint's config).")
@click.option("--revision")
@click.option("--dtype", default="auto", show_default=True)
@click.option("--device-map")
@click.option("--trust-remote-code", is_flag=True)
@click.option("--batch-size", type=POSITIVE, default=8, show_default=True)
@click.option("--max-new-tokens", type=POSITIVE, default=256, show_default=True)
@click.option("--sample", is_flag=True, help="Sample instead of greedy decoding.")
@SEED
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
@click.option("--config", "dataset_config",
              help="Dataset config, e.g. minimal_pairs (default: every label, without the minimal pairs).")
@click.option("--workers", type=POSITIVE, default=1, show_default=True,
              help="Model copies evaluating shards in parallel, merged into one run (a GPU each under Ray).")
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Where --workers run: local processes or Ray tasks.")
@click.option("--address", help="Ray cluster address (with --executor ray), e.g. auto.")
def eval_cmd(dataset, model, conditions, out, name, adapter, revision, dtype, device_map, trust_remote_code,
             batch_size, max_new_tokens, sample, seed, split, limit, options, steer, coefficient, lora, force,
             system, temperature, top_p, shard, dataset_config, workers, executor, address):
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
        adapter_options=adapter_options, dataset_config=dataset_config,
    )
    if workers > 1 or executor == "ray":
        from aorgen.evaluate.parallel import run_eval_parallel

        summary = run_eval_parallel(dataset, model, workers=workers, executor=executor, address=address,
                                    steer=steer, coefficient=coefficient, lora=lora, name=name, adapter=adapter,
                                    revision=revision, dtype=dtype, device_map=device_map,
                                    trust_remote_code=trust_remote_code, **kwargs)
    elif steer or lora:
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


@main.command("eval-merge")
@click.argument("run", type=click.Path(exists=True, file_okay=False, path_type=Path))
def eval_merge(run):
    """Join the shards of RUN (aorgen eval --shard i/N) into RUN."""
    from aorgen.evaluate.run import merge_shards

    click.echo(f"{merge_shards(run)} generations merged -> {run}")


@main.command()
@click.argument("runs", type=click.Path(exists=True, path_type=Path))
@JUDGE
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
@OUT("the report folder (made; an earlier report there is replaced, any other folder refused).", required=True)
@JUDGE
@SEED
@click.option("--log-hub", "hub_repo", help="Also upload the report to this Hub dataset repo (ORG/NAME).")
@click.option("--hub-path", help="Folder in the Hub repo (default: the report folder's name).")
@click.option("--private", is_flag=True, help="Create the Hub repo private.")
@click.option("--dry-run", is_flag=True, help="With --log-hub: print what would be uploaded, upload nothing.")
@click.option("--wandb", "wandb_project", help="Also log the metrics to this Weights & Biases project.")
@click.option("--trackio", "trackio_project", help="Also log the metrics to this trackio project.")
def report(runs, out, judge, seed, hub_repo, hub_path, private, dry_run, wandb_project, trackio_project):
    """Over-refusal report (markdown, CSV, PNG) comparing one or more runs."""
    from aorgen.evaluate.report import build_report

    if hub_repo:
        from aorgen.evaluate.hub_log import check_repo_id

        check_repo_id(hub_repo)
    built = build_report(list(runs), out, judge=judge, seed=seed)
    click.echo(f"report -> {built.out}")
    if hub_repo:
        from aorgen.evaluate.hub_log import log_to_hub, upload_plan

        if dry_run:
            plan = upload_plan(built.out, hub_path)[1]
            for f in plan:
                click.echo(f"would upload {f.path_in_repo} ({f.size} bytes, sha256 {f.sha256[:12]})")
            click.echo(f"dry run: {len(plan)} files to datasets/{hub_repo}, nothing uploaded")
        else:
            click.echo(f"logged -> {log_to_hub(built.out, hub_repo, path_in_repo=hub_path, private=private)}")
    for tracker, project in (("wandb", wandb_project), ("trackio", trackio_project)):
        if project:
            from aorgen.evaluate.tracking import log_to_tracker

            log_to_tracker(tracker, project, built.out)
            click.echo(f"logged metrics to {tracker} project {project}")


@main.command("judge-eval")
@click.option("--xstest", "xstest", multiple=True, required=True, type=click.Path(exists=True, path_type=Path),
              help="XSTest completions CSV with human labels (repeatable).")
@JUDGE
@click.option("--option", "options", multiple=True)
def judge_eval_cmd(xstest, judge, options):
    """How well a judge agrees with XSTest's human refusal labels."""
    from aorgen.evaluate.judge_runs import format_judge_eval, judge_eval

    for path in xstest:
        click.echo(format_judge_eval(judge_eval(path, judge, judge_options=_options(options, "--option"))))
