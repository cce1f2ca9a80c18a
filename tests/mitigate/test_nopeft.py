"""``eval --steer`` needs no peft (only LoRA does), and the transformers adapters declare the
contract mitigation relies on (``HasWeights``: ``.model``, ``.processor``, ``.tokenizer``)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

# peft is made unimportable in the child; a steered eval runs end to end, LoRA names the extra
_CHILD = r"""
import sys
sys.modules["peft"] = None
from pathlib import Path
import torch
from aorgen.errors import MissingExtra
from aorgen.evaluate.models import HasWeights, get_adapter
from aorgen.evaluate.records import GenerationOptions
from aorgen.mitigate.apply import run_mitigated_eval
from aorgen.mitigate.steering import SteeringVector
from aorgen.testing.tiny_dataset import build_tiny_dataset
from aorgen.testing.tiny_models import build_tiny_qwen2_audio

tmp = Path(sys.argv[1])
model = build_tiny_qwen2_audio(tmp / "model")
data = build_tiny_dataset(tmp / "ds", rows_per_label=1, splits=("test",))
loaded = get_adapter(None, str(model))
assert isinstance(loaded, HasWeights), type(loaded)
hidden = loaded.model.config.text_config.hidden_size
SteeringVector(vector=torch.ones(hidden), layer=0, method="contrast").save(tmp / "v.safetensors")
summary = run_mitigated_eval(data, str(model), steer=tmp / "v.safetensors", coefficient=-1.0,
                             conditions=["audio"], out=tmp / "runs", batch_size=2,
                             generation=GenerationOptions(max_new_tokens=4), split="test")
print("generated", sum(summary.generated.values()))
try:
    run_mitigated_eval(data, str(model), lora=tmp, conditions=["audio"], out=tmp / "runs2",
                       generation=GenerationOptions(max_new_tokens=4), split="test")
except MissingExtra as err:
    print("lora:", err)
"""


@pytest.mark.slow
def test_steered_eval_runs_without_peft_and_lora_names_the_extra(tmp_path):
    done = subprocess.run([sys.executable, "-c", _CHILD, str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert "generated 3" in lines
    assert any(line.startswith("lora:") and "aorgen[train]" in line for line in lines)
