"""Generation throughput of ``aorgen eval``: batched against batch 1 on the tiny Qwen2-Audio,
with a check that the outputs are identical. Prints a markdown table.

    python benchmarks/eval_throughput.py                       # CPU, fp32
    python benchmarks/eval_throughput.py --device cuda --dtype bf16 --rows 32 --batch-sizes 1,4,16,32
    python benchmarks/eval_throughput.py --device cuda --dtype bf16 --model Qwen/Qwen2-Audio-7B-Instruct

``--model`` measures a real checkpoint (adapter from its config) instead of the tiny one.

The tiny model measures the harness and padding overhead, not a real model's speed.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aorgen.evaluate.models import get_adapter, resolve_adapter  # noqa: E402
from aorgen.evaluate.records import GenerationOptions  # noqa: E402
from aorgen.evaluate.run import GENERATIONS_FILE, run_eval  # noqa: E402
from aorgen.evaluate.record_files import RecordCache  # noqa: E402
from aorgen.evaluate.records import Generation  # noqa: E402
from aorgen.testing.tiny_dataset import build_tiny_dataset  # noqa: E402
from aorgen.testing.tiny_models import build_tiny_qwen2_audio  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=16, help="rows per label (3 labels)")
    ap.add_argument("--batch-sizes", default="1,4,16")
    ap.add_argument("--dtype", default="fp32")
    ap.add_argument("--device", choices=["cpu", "cuda"], default=None,
                    help="where the model runs (default: cuda if available); same as --device-map")
    ap.add_argument("--device-map", default=None)
    ap.add_argument("--model", help="checkpoint to measure (default: a tiny random Qwen2-Audio)")
    ap.add_argument("--max-new-tokens", type=int, default=16)
    ap.add_argument("--condition", default="audio")
    args = ap.parse_args()
    import torch

    device_map = args.device_map or args.device
    if (device_map or "").startswith("cuda") and not torch.cuda.is_available():
        sys.exit(f"--device {device_map}: torch {torch.__version__} sees no CUDA device")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        dataset = build_tiny_dataset(tmp / "ds", args.rows, splits=("test",))
        model = args.model or build_tiny_qwen2_audio(tmp / "tiny-qwen2-audio")
        adapter = get_adapter(resolve_adapter(str(model)), str(model), dtype=args.dtype, device_map=device_map)
        device = str(adapter.model.device)
        if device.startswith("cuda"):
            device += f" ({torch.cuda.get_device_name(adapter.model.device)})"
        opts = GenerationOptions(max_new_tokens=args.max_new_tokens)
        rows, base = [], None
        for bs in [int(b) for b in args.batch_sizes.split(",")]:
            kw = dict(conditions=[args.condition], out=tmp / "runs", name=f"bs{bs}", batch_size=bs, generation=opts,
                      progress=False, model_adapter=adapter, dtype=args.dtype)
            run_eval(dataset, str(model), **{**kw, "name": "warmup", "limit": 1})
            start = time.perf_counter()
            summary = run_eval(dataset, str(model), **kw)
            wall = time.perf_counter() - start
            gens = RecordCache(summary.run_dir / GENERATIONS_FILE, Generation).records.values()
            out = {g.key: g.response for g in gens}
            n = len(out)
            base = base or (wall, out)
            same = sum(out[k] == base[1].get(k) for k in out)
            rows.append((bs, n, wall, n / wall, base[0] / wall, f"{same}/{n}"))
    print(f"{args.model or 'tiny Qwen2-Audio'}, {args.dtype}, {device}, {args.max_new_tokens} new tokens, "
          f"torch {torch.__version__}, {platform.processor() or platform.machine()}\n")
    print("| batch size | generations | wall s | gen/s | speed-up vs batch 1 | identical to batch 1 |")
    print("| --- | --- | --- | --- | --- | --- |")
    for bs, n, wall, rate, ratio, same in rows:
        print(f"| {bs} | {n} | {wall:.2f} | {rate:.1f} | {ratio:.2f}x | {same} |")


if __name__ == "__main__":
    main()
