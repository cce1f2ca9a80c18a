"""Loading audio LMs for mitigation, and finding their language-model parts.

Models are loaded through the evaluation stage's adapters (``aorgen.evaluate.models``),
so a model is the same object whether it is evaluated, steered or fine-tuned: for
Qwen2-Audio ``Qwen2AudioForConditionalGeneration``, for Qwen2.5-Omni its *thinker* (the
text-generating half). Both expose the language model as ``model.get_decoder()`` (its
``.layers`` are the decoder layers that steering reads and writes) and the unembedding as
``model.get_output_embeddings()``; PEFT wrappers are looked through.
"""

from __future__ import annotations

from pathlib import Path

from aorgen.errors import AorgenError, require

torch = require("torch", extra="train")


def load_model_and_processor(model_path: str | Path, *, dtype: str = "auto"):
    """(model in eval mode on the GPU if there is one, processor). ``dtype="auto"`` is
    bf16 on a GPU and fp32 on the CPU."""
    from aorgen.evaluate.models import HasWeights, get_adapter

    try:
        loaded = get_adapter(None, str(model_path), dtype=dtype)
    except (OSError, ValueError) as exc:  # a path or Hub id transformers cannot load
        raise AorgenError(f"cannot load the model: {' '.join(str(exc).split())[:300]}", file=str(model_path),
                          field="--model") from None
    model = loaded.model if isinstance(loaded, HasWeights) else None
    if model is None or not hasattr(model, "get_decoder"):
        raise AorgenError("mitigation needs a local transformers model", item=str(model_path), field="model")
    decoder_layers(model)  # fail early on models whose layers we cannot find
    return model, loaded.processor


def _unwrap(model):
    """The transformers model under any PEFT wrapper."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def backbone(model):
    """The multimodal model under the LM head (audio encoder + projector + language model):
    calling it with a batch gives hidden states without computing vocabulary logits."""
    return _unwrap(model).model


def language_model(model):
    """The decoder-only text model (``Qwen2Model`` or the Omni thinker's text model)."""
    return _unwrap(model).get_decoder()


def decoder_layers(model):
    """The language model's decoder layers (a ``ModuleList``), never the audio encoder's."""
    layers = getattr(language_model(model), "layers", None)
    if layers is None or len(layers) == 0:
        raise AorgenError(
            f"cannot find the language model's decoder layers in {type(_unwrap(model)).__name__}",
            field="model",
        )
    return layers


def unembedding(model):
    """The LM head (``nn.Linear``: hidden → vocabulary)."""
    return _unwrap(model).get_output_embeddings()


def model_id(model) -> str:
    """The name or path the model was loaded from (stored in vectors and adapters)."""
    return str(getattr(_unwrap(model).config, "_name_or_path", "") or "unknown")
