"""What identifies an evaluation configuration, for the content-addressed generation cache.

A generation is keyed by the run's *configuration* (model id and resolved revision, dtype,
adapter, mitigation hashes, system prompt, generation options, software versions) plus the
condition, its prompt, the sample id and the hash of the audio bytes the model receives.
A retrained LoRA saved at the same path, a steering vector, another dtype or a rebuilt
dataset therefore never hit an old answer.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from aorgen.render.cache import content_key

#: weight/adapter files whose bytes identify a local checkpoint
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".json", ".model")
_CHUNK = 1 << 22


def file_hash(path: str | Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def folder_hash(folder: str | Path) -> str:
    """sha256 over the names and bytes of a checkpoint folder's weight and config files."""
    folder = Path(folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in _WEIGHT_SUFFIXES)
    return content_key([[str(p.relative_to(folder)), file_hash(p)] for p in files])


def resolve_revision(model: str, revision: str | None, adapter: str, loaded: Any = None) -> str | None:
    """The revision a generation really came from: ``local:<hash of the weights>`` for a
    local folder, the Hub commit sha (``_commit_hash`` of the loaded model's config, or of
    the config fetched with ``AutoConfig``) for a Hub id, ``revision`` as given for a
    served (OpenAI-compatible) model."""
    if Path(str(model)).is_dir():
        return "local:" + folder_hash(model)
    if adapter == "openai":
        return revision
    sha = getattr(getattr(getattr(loaded, "model", None), "config", None), "_commit_hash", None)
    if sha is None:
        try:
            from transformers import AutoConfig

            sha = AutoConfig.from_pretrained(model, revision=revision)._commit_hash
        except (OSError, ValueError):
            sha = None
    return sha or revision


def versions() -> dict[str, str]:
    import aorgen

    out = {"aorgen": aorgen.__version__}
    try:
        import transformers

        out["transformers"] = transformers.__version__
    except ImportError:
        out["transformers"] = "absent"
    return out


def lora_info(path: str | Path) -> dict[str, str]:
    return {"path": str(Path(path).resolve()), "hash": folder_hash(path)}


def steering_info(path: str | Path, coefficient: float | None, mode: str | None) -> dict[str, Any]:
    from aorgen.mitigate.steering import SteeringVector

    vector = SteeringVector.load(path)
    return {
        "path": str(Path(path).resolve()), "hash": file_hash(path), "method": vector.method,
        "mode": mode or vector.mode, "coefficient": vector.coefficient if coefficient is None else coefficient,
        "layer": vector.layer,
    }


def audio_hash(blob: bytes | None) -> str | None:
    return hashlib.sha256(blob).hexdigest() if blob else None
