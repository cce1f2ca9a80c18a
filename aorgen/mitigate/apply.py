"""Evaluate a model with a mitigation applied: a steering vector and/or a LoRA adapter.
Wrapped by ``aorgen eval ... --steer VEC [--coefficient C] [--lora DIR]``."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Any


def run_mitigated_eval(dataset: str | Path, model: str, *, steer: str | Path | None = None,
                       coefficient: float | None = None, mode: str | None = None,
                       lora: str | Path | None = None, name: str | None = None,
                       adapter: str | None = None, revision: str | None = None, dtype: str = "auto",
                       device_map: str | None = None, trust_remote_code: bool = False,
                       adapter_options: dict[str, Any] | None = None, **eval_kwargs: Any):
    """``run_eval`` with the model loaded once, the LoRA merged in and the steering hooks
    active for the whole run. The run is named after the mitigation (evaluation caches
    generations per run folder, so a mitigated run never reuses unmitigated answers); the
    LoRA and steering-vector hashes, coefficient and mode enter its configuration.
    ``adapter_options`` (``--option``) go to the model adapter as without a mitigation."""
    from aorgen.evaluate.fingerprint import lora_info, steering_info
    from aorgen.evaluate.models import get_adapter
    from aorgen.evaluate.run import run_eval, run_name
    from aorgen.mitigate.steering import SteeringVector, apply_steering

    loaded = get_adapter(adapter, model, revision=revision, dtype=dtype, device_map=device_map,
                         trust_remote_code=trust_remote_code, **(adapter_options or {}))
    tags = [run_name(model)]
    mitigation: dict[str, Any] = {}
    if lora is not None:
        from aorgen.mitigate.finetune import load_lora  # needs peft (the train extra); --steer alone does not

        mitigation["lora"] = lora_info(lora)
        loaded.model = load_lora(loaded.model, lora, merge=True)
        tags.append(f"lora-{Path(lora).resolve().parent.name}-{Path(lora).name}")
    hooks = nullcontext()
    if steer is not None:
        vector = SteeringVector.load(steer)
        mitigation["steer"] = steering_info(steer, coefficient, mode)
        hooks = apply_steering(loaded.model, vector, coefficient=coefficient, mode=mode)
        tags.append(vector.tag(coefficient, mode))
    with hooks:
        return run_eval(dataset, model, name=name or "-".join(tags), model_adapter=loaded,
                        revision=revision, dtype=dtype, mitigation=mitigation, **eval_kwargs)
