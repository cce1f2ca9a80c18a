"""The ``--dtype`` names and the torch dtypes they stand for (shared by the transformers
adapters and the transformers-backed judges)."""

from __future__ import annotations

from aorgen.errors import AorgenError, require

DTYPES = ("auto", "bf16", "fp16", "fp32")


def torch_dtype(dtype: str):
    """``auto`` → bf16 on a GPU, fp32 on the CPU."""
    torch = require("torch", extra="eval")
    if dtype not in DTYPES:
        raise AorgenError(f"unknown dtype; use one of {', '.join(DTYPES)}", item=dtype, field="dtype")
    if dtype == "auto":
        return torch.bfloat16 if torch.cuda.is_available() else torch.float32
    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[dtype]
