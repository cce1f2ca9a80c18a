"""RRS ablation on the tiny Qwen2-Audio: the share of features m, the retention KL and the
cluster contraction, against what each run does to the refusal score and to benign outputs.
Trains each variant on the tiny dataset's ``train`` split and measures on its ``test`` split.
Prints a markdown table.

    python benchmarks/rrs_ablation.py [--steps 8] [--rows 4]

Columns: ``reshape`` = the reshaping error after training relative to the untuned model
(1.0 = not moved towards the targets); ``d_refusal[label]`` = mean change of the refusal
score (log-odds of "I" at the first response position) on held-out rows of that label;
``retention KL`` = KL(untuned || tuned) on benign held-out rows' response tokens. The tiny
model is random, so the numbers show what each term does, not how a real model behaves.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
from transformers import AutoProcessor  # noqa: E402

from aorgen.mitigate import finetune as ft  # noqa: E402
from aorgen.mitigate.refusal import batch_logits, refusal_score  # noqa: E402
from aorgen.mitigate.rrs import RRSConfig, refusal_token_id, retention_kl, rrs_loss  # noqa: E402
from aorgen.mitigate.training import ChatCollator, load_examples, move_batch  # noqa: E402
from aorgen.testing.tiny_dataset import build_tiny_dataset  # noqa: E402
from aorgen.testing.tiny_models import build_tiny_qwen2_audio  # noqa: E402

VARIANTS = [
    ("default (m=50, KL 1, contract 0)", RRSConfig()),
    ("m = 12.5 %", RRSConfig(top_percent=12.5)),
    ("m = 25 %", RRSConfig(top_percent=25.0)),
    ("m = 100 % (every positive dim)", RRSConfig(top_percent=100.0)),
    ("no retention KL", RRSConfig(kl_weight=0.0)),
    ("contraction 1.0", RRSConfig(contract_weight=1.0)),
    ("no LoRA penalty", RRSConfig(weight_penalty=0.0)),
]
LABELS = ("harmful_contrast", "pseudo_harmful", "benign_control")


def measure(model, processor, test, anchors, token):
    prompts = ChatCollator(processor, with_response=False)
    out = {}
    with torch.no_grad():
        for label in LABELS:
            rows = [e for e in test if e.label == label]
            batch = move_batch(prompts(rows), model)
            tuned = refusal_score(batch_logits(model, [batch]), [token])
            with model.disable_adapter():
                base = refusal_score(batch_logits(model, [batch]), [token])
            out[label] = float((tuned - base).mean())
        batch = move_batch(prompts(test), model)
        harmful = torch.tensor([e.label == "harmful_contrast" for e in test])
        plain = RRSConfig(kl_weight=0.0, weight_penalty=0.0)
        out["reshape"] = rrs_loss(model, batch, harmful, anchors, plain)[1]["reshape"] / float(
            (anchors.delta**2).mean())
        benign = [e for e in test if e.label != "harmful_contrast"]
        out["kl"] = retention_kl(model, move_batch(ChatCollator(processor)(benign), model)).item()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--rows", type=int, default=4, help="rows per label and split")
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--only", type=int, nargs="*", help="variant indices to run (default: all)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model_path = build_tiny_qwen2_audio(tmp / "model")
        data = build_tiny_dataset(tmp / "data", rows_per_label=args.rows, splits=("train", "test"))
        train = load_examples(data, split="train")
        test = load_examples(data, split="test")
        print(f"tiny Qwen2-Audio (hidden 64, 2 layers), {len(train)} train / {len(test)} test rows, "
              f"{args.steps} full-batch steps, lr {args.lr}\n")
        print("| variant | features | reshape after/before | d_refusal harmful | d_refusal pseudo-harmful "
              "| d_refusal benign | retention KL (benign responses) |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for index, (name, config) in enumerate(VARIANTS):
            if args.only and index not in args.only:
                continue
            result = ft.finetune(data, model_path, "rrs", tmp / "runs" / name.split()[0], steps=args.steps,
                                 batch_size=len(train), grad_accum=1, lora_r=4, lr=args.lr, rrs=config,
                                 examples=train, progress=False, save_every=10**6, resume=False)
            anchors = ft.RRSAnchors.from_state_dict(load_file(str(result.adapter_dir / "rrs_anchors.safetensors")))
            processor = AutoProcessor.from_pretrained(model_path)
            token = refusal_token_id(processor.tokenizer, config.refusal_word)
            m = measure(result.model, processor, test, anchors, token)
            print(f"| {name} | {len(anchors.features)} | {m['reshape']:.3f} | {m['harmful_contrast']:+.3f} | "
                  f"{m['pseudo_harmful']:+.3f} | {m['benign_control']:+.3f} | {m['kl']:.2e} |", flush=True)


if __name__ == "__main__":
    main()
