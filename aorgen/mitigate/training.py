"""Training input: dataset rows → chat-formatted, label-masked batches for Qwen audio LMs.

``load_examples`` reads a split of a generated dataset folder through the evaluation
stage's reader (``aorgen.evaluate.samples``: the ``audio`` column read with
``datasets.Audio(decode=False)`` + soundfile, resampled with soxr to the processor's
rate). ``ChatCollator`` turns examples into the tensors ``model(**batch)`` takes, for
Qwen2-Audio and Qwen2.5-Omni alike (the processor's own chat template does the
formatting): the audio + instruction is the user turn, the
target response the assistant turn, and ``labels`` are -100 everywhere except on the
assistant response's tokens (its closing end-of-turn token included). The collator works
as ``collate_fn`` of a ``torch.utils.data.DataLoader`` and as ``data_collator`` of a
``transformers.Trainer`` (with ``remove_unused_columns=False``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aorgen.errors import AorgenError, require
from aorgen.evaluate.prompts import AUDIO_INSTRUCTION
from aorgen.mitigate.targets import target_response

torch = require("torch", extra="train")

#: The instruction sent with every clip: the same as evaluation's ``audio`` condition.
DEFAULT_INSTRUCTION = AUDIO_INSTRUCTION


@dataclass(frozen=True, eq=False)
class TrainExample:
    """One clip ready for the model: mono float32 audio at ``sampling_rate``."""

    id: str
    label: str
    transcript: str
    audio: np.ndarray
    sampling_rate: int
    category: str = ""
    #: the assistant turn; ``None`` → ``target_response(label, id)``
    response: str | None = None

    @property
    def target(self) -> str:
        return self.response if self.response is not None else target_response(self.label, self.id)


def load_examples(
    dataset_dir: str | Path,
    *,
    split: str = "train",
    sampling_rate: int = 16000,
    labels: Sequence[str] | None = None,
) -> list[TrainExample]:
    """Read one split of a dataset folder (or Hub id) into ``TrainExample``s, sorted by id.

    Audio is the ``audio`` column (the mixture) as mono float32 at ``sampling_rate``.
    Used by ``aorgen finetune`` and ``aorgen steer fit`` (``train`` split); ``labels``
    restricts to some labels.
    """
    from aorgen.evaluate.samples import load_eval_dataset

    ds = load_eval_dataset(dataset_dir, split=split, labels=labels)
    ids = [s.id for s in ds.samples]
    audio = ds.audio(ids, "audio", sampling_rate)
    examples = [
        TrainExample(
            id=s.id, label=s.label, transcript=s.transcript, audio=wave,
            sampling_rate=sampling_rate, category=s.category,
        )
        for s, wave in zip(ds.samples, audio, strict=True)
    ]
    return sorted(examples, key=lambda e: e.id)


class ChatCollator:
    """Batches ``TrainExample``s for a Qwen audio LM (see the module docstring).

    ``with_response=False`` gives prompt-only batches (ending with the assistant header,
    as at generation time) and no labels: used to read the hidden state of the last
    prompt token. Batches are right-padded, so position ids are 0..n for every row.
    """

    def __init__(
        self,
        processor,
        *,
        instruction: str = DEFAULT_INSTRUCTION,
        system: str | None = None,
        with_response: bool = True,
    ) -> None:
        self.processor = processor
        self.instruction = instruction
        self.system = system
        self.with_response = with_response
        self.sampling_rate = processor.feature_extractor.sampling_rate
        user = self._messages(None)
        opening = processor.apply_chat_template(user, tokenize=False, add_generation_prompt=False)
        prompt = processor.apply_chat_template(user, tokenize=False, add_generation_prompt=True)
        header = prompt[len(opening):]
        if not prompt.startswith(opening) or not header:
            raise AorgenError("the processor's chat template has no assistant header", field="chat_template")
        self.header_ids = processor.tokenizer(header, add_special_tokens=False)["input_ids"]

    def _messages(self, response: str | None) -> list[dict]:
        """The evaluation stage's messages for an audio + instruction request (so training
        and steering prompts are the ones evaluation sends), plus the assistant turn."""
        from aorgen.evaluate.models.base import ModelRequest, chat_messages

        request = ModelRequest(audio=np.zeros(1, np.float32), text=self.instruction, system=self.system)
        messages = chat_messages(request)
        if response is not None:
            messages.append({"role": "assistant", "content": response})
        return messages

    def text(self, example: TrainExample) -> str:
        """The formatted conversation (before audio-token expansion)."""
        if self.with_response:
            return self.processor.apply_chat_template(
                self._messages(example.target), tokenize=False
            ).rstrip()
        return self.processor.apply_chat_template(
            self._messages(None), tokenize=False, add_generation_prompt=True
        )

    def __call__(self, examples: Sequence[TrainExample]) -> dict[str, torch.Tensor]:
        for ex in examples:
            if ex.sampling_rate != self.sampling_rate:
                raise AorgenError(
                    f"audio is at {ex.sampling_rate} Hz but the processor expects {self.sampling_rate} Hz",
                    item=ex.id,
                    field="audio",
                )
        batch = self.processor(
            text=[self.text(ex) for ex in examples],
            audio=[ex.audio for ex in examples],
            sampling_rate=self.sampling_rate,
            return_tensors="pt",
            padding=True,
            padding_side="right",
        )
        batch = {k: v for k, v in batch.items() if isinstance(v, torch.Tensor)}
        if self.with_response:
            batch["labels"] = self.response_labels(batch["input_ids"], batch["attention_mask"])
        return batch

    def response_labels(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Copy of ``input_ids`` with -100 on everything but the tokens after the last
        assistant header (the response) and on padding."""
        labels = torch.full_like(input_ids, -100)
        header = torch.tensor(self.header_ids, device=input_ids.device)
        for row, ids in enumerate(input_ids):
            starts = (ids.unfold(0, len(header), 1) == header).all(dim=1).nonzero()
            if len(starts) == 0:
                raise AorgenError("a batch row has no assistant header", field="chat_template")
            begin = int(starts[-1]) + len(header)
            keep = attention_mask[row, begin:].bool()
            labels[row, begin:][keep] = ids[begin:][keep]
        return labels


def last_token_index(attention_mask: torch.Tensor) -> torch.Tensor:
    """Index of each row's last real token (works for left or right padding)."""
    positions = torch.arange(attention_mask.shape[1], device=attention_mask.device)
    return (attention_mask.bool() * (positions + 1)).argmax(dim=1)


def move_batch(batch: dict[str, torch.Tensor], model) -> dict[str, torch.Tensor]:
    """Put a batch on the model's device; floating tensors (audio features) in its dtype."""
    param = next(model.parameters())
    return {
        k: v.to(param.device, dtype=param.dtype if v.is_floating_point() else v.dtype)
        for k, v in batch.items()
    }


__all__ = [
    "DEFAULT_INSTRUCTION", "ChatCollator", "TrainExample", "last_token_index", "load_examples",
    "move_batch",
]
