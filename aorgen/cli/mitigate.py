"""Commands of the mitigation stage: steer, finetune, compare."""

from __future__ import annotations

from pathlib import Path

import click

from aorgen.cli.group import main
from aorgen.cli.options import JUDGE, OUT, POSITIVE, SEED, Finite


@main.group()
def steer():
    """Activation steering vectors."""


@steer.command("fit")
@click.option("--dataset", required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--model", required=True)
@OUT("the steering vector file to write (.safetensors).", required=True)
@click.option("--method", type=click.Choice(["contrast", "judged", "arditi", "sarsteer", "overrefusal"]),
              default="contrast", show_default=True,
              help="contrast: harmful-contrast vs pseudo-harmful inputs; judged: refused vs complied responses; "
                   "arditi: causal selection per layer x post-instruction position (table beside the vector); "
                   "sarsteer: per-layer vectors without the benign subspace; overrefusal: pseudo-harmful vs "
                   "benign direction orthogonal to the refusal direction (clamp hook).")
@click.option("--run", type=click.Path(exists=True, path_type=Path), help="Judged eval run (method judged).")
@JUDGE
@click.option("--split", default="train", show_default=True)
@click.option("--dtype", default="auto", show_default=True)
@click.option("--layer", type=click.IntRange(min=0), help="Fix the layer instead of sweeping.")
@SEED
@click.option("--kl-threshold", type=Finite(0), default=0.1, show_default=True, help="arditi: largest KL on benign.")
@click.option("--induce-threshold", type=Finite(), default=0.0, show_default=True,
              help="arditi: least refusal score on benign inputs with the direction added.")
@click.option("--prune-fraction", type=Finite(0), default=0.2, show_default=True,
              help="arditi: share of last layers not considered.")
@click.option("--k", "k", type=click.IntRange(min=0), default=10, show_default=True,
              help="sarsteer: benign principal components projected out.")
@click.option("--alpha", type=Finite(), default=0.1, show_default=True, help="sarsteer: steering strength.")
@click.option("--lambda", "lambda_", type=Finite(0), default=1.0, show_default=True,
              help="sarsteer: share of the benign-subspace projection removed.")
@click.option("--layers", help="sarsteer: comma-separated layers (default: all).")
@click.option("--refusal", type=click.Path(exists=True, path_type=Path),
              help="overrefusal: refusal vector to orthogonalise against (e.g. an arditi vector).")
def steer_fit(dataset, model, out, method, run, judge, split, dtype, layer, seed, kl_threshold, induce_threshold,
              prune_fraction, k, alpha, lambda_, layers, refusal):
    """Fit a refusal direction from the language model's decoder hidden states."""
    from aorgen.mitigate.fit_vector import CAUSAL_METHODS, fit_from_dataset

    extra = {}
    if method in CAUSAL_METHODS:
        try:
            layer_list = [int(x) for x in layers.split(",") if x.strip()] if layers else None
        except ValueError:
            raise click.BadParameter(f"not a comma-separated list of layers: {layers!r}", param_hint="--layers")
        extra["options"] = {"kl_threshold": kl_threshold, "induce_threshold": induce_threshold,
                            "prune_fraction": prune_fraction, "k": k, "alpha": alpha, "lambda": lambda_,
                            "layers": layer_list, "refusal": refusal}
    vector = fit_from_dataset(dataset, model, out, method=method, run=run, judge=judge, split=split,
                              dtype=dtype, layer=layer, seed=seed, **extra)
    click.echo(f"layer {vector.layer}, {vector.method}, saved -> {out}")


@main.command()
@click.option("--dataset", required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--model", required=True)
@click.option("--method", type=click.Choice(["rrs", "sft"]), default="rrs", show_default=True)
@OUT("the folder of the fine-tuning run (checkpoints, and the LoRA adapter in adapter/); "
     "the same folder again resumes.", required=True)
@click.option("--steps", type=POSITIVE, help="Optimizer steps (default: from --epochs).")
@click.option("--epochs", type=Finite(0, open=True), default=1.0, show_default=True)
@click.option("--lr", type=Finite(0, open=True), default=1e-4, show_default=True)
@click.option("--batch-size", type=POSITIVE, default=4, show_default=True)
@click.option("--grad-accum", type=POSITIVE, default=4, show_default=True)
@click.option("--lora-r", type=POSITIVE, default=16, show_default=True)
@click.option("--dtype", default="auto", show_default=True, help="auto: bf16 on GPU, fp32 on CPU.")
@SEED
@click.option("--no-resume", is_flag=True, help="Start over instead of resuming from the last checkpoint.")
@click.option("--top-percent", type=Finite(0, open=True), default=50.0, show_default=True,
              help="rrs: m, the share of last-layer dimensions kept as refusal features.")
@click.option("--kl-weight", type=Finite(0), default=1.0, show_default=True,
              help="rrs: weight of the retention KL on benign response tokens.")
@click.option("--contract-weight", type=Finite(0), default=0.0, show_default=True, help="rrs: cluster contraction.")
@click.option("--weight-penalty", type=Finite(0), default=1.0, show_default=True, help="rrs: LoRA update penalty.")
def finetune(dataset, model, method, out, steps, epochs, lr, batch_size, grad_accum, lora_r, dtype, seed, no_resume,
             top_percent, kl_weight, contract_weight, weight_penalty):
    """LoRA fine-tuning against over-refusal: rrs (representation reshaping) or sft."""
    from aorgen.mitigate.finetune import finetune as run_finetune
    from aorgen.mitigate.rrs import RRSConfig

    rrs = RRSConfig(top_percent=top_percent, kl_weight=kl_weight, contract_weight=contract_weight,
                    weight_penalty=weight_penalty)
    result = run_finetune(dataset, model, method, out, steps=steps, epochs=epochs, lr=lr, batch_size=batch_size,
                          grad_accum=grad_accum, lora_r=lora_r, resume=not no_resume, dtype=dtype, seed=seed,
                          rrs=rrs)
    last = result.history[-1]["loss"] if result.history else float("nan")
    resumed = f", resumed from step {result.resumed_from}" if result.resumed_from else ""
    click.echo(f"{result.method}: {result.steps} steps{resumed}, last loss {last:.4f}; adapter -> {result.adapter_dir}")


@main.command()
@click.argument("before", type=click.Path(exists=True, path_type=Path))
@click.argument("after", type=click.Path(exists=True, path_type=Path))
@JUDGE
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
