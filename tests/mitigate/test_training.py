"""Training input: dataset → examples → label-masked chat batches (tiny Qwen2-Audio)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from aorgen.mitigate.model import load_model_and_processor  # noqa: E402
from aorgen.mitigate.targets import COMPLIANCE_OPENINGS, REFUSALS, target_response  # noqa: E402
from aorgen.mitigate.training import ChatCollator, last_token_index, load_examples, move_batch  # noqa: E402
from aorgen.testing.tiny_dataset import LABELS, build_tiny_dataset  # noqa: E402
from aorgen.testing.tiny_models import build_tiny_qwen2_audio  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = build_tiny_qwen2_audio(tmp_path_factory.mktemp("tiny"))
    model, processor = load_model_and_processor(path, dtype="fp32")
    return model, processor


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    folder = build_tiny_dataset(tmp_path_factory.mktemp("ds"), rows_per_label=2, sampling_rate=22050, duration_s=0.5)
    return load_examples(folder, split="train", sampling_rate=16000)


def test_targets_follow_the_label_and_are_deterministic():
    for key in ("a", "b", "c", "d"):
        assert target_response("pseudo_harmful", key) in COMPLIANCE_OPENINGS
        assert target_response("benign_control", key) in COMPLIANCE_OPENINGS
        assert target_response("harmful_contrast", key) in REFUSALS
        assert target_response("harmful_contrast", key) == target_response("harmful_contrast", key)
    assert len({target_response("pseudo_harmful", str(i)) for i in range(50)}) > 1


def test_load_examples_reads_train_split_and_resamples(examples):
    assert len(examples) == 2 * len(LABELS)
    assert sorted(e.label for e in examples) == sorted(LABELS * 2)
    assert [e.id for e in examples] == sorted(e.id for e in examples)
    for e in examples:
        assert e.sampling_rate == 16000
        assert e.audio.dtype.name == "float32" and e.audio.ndim == 1
        assert abs(len(e.audio) - 8000) <= 1  # 0.5 s written at 22.05 kHz, read at 16 kHz
        assert 0.1 < float(abs(e.audio).max()) < 1.0


def test_collator_masks_everything_but_the_response(tiny, examples):
    model, processor = tiny
    loader = torch.utils.data.DataLoader(examples, batch_size=3, collate_fn=ChatCollator(processor))
    batch = next(iter(loader))
    tok = processor.tokenizer
    labels, ids, mask = batch["labels"], batch["input_ids"], batch["attention_mask"]
    assert mask[:, 0].all() and not mask.all()  # right padding, and rows differ in length
    assert (labels[mask == 0] == -100).all()
    for row, ex in enumerate(examples[:3]):
        kept = labels[row] != -100
        assert tok.decode(ids[row][kept]) == ex.target + "<|im_end|>"
        # the labelled tokens are one contiguous block right before the padding
        positions = kept.nonzero().flatten()
        assert positions[-1] == mask[row].sum() - 1
        assert (positions.diff() == 1).all()
    n_audio = (ids == processor.audio_token_id).sum(1)
    assert (n_audio > 0).all()
    out = model(**move_batch(batch, model))
    assert torch.isfinite(out.loss)


def test_prompt_only_batches_end_with_the_assistant_header(tiny, examples):
    _, processor = tiny
    collate = ChatCollator(processor, with_response=False)
    batch = collate(examples[:4])
    assert "labels" not in batch
    last = last_token_index(batch["attention_mask"])
    header = torch.tensor(collate.header_ids)
    for row in range(4):
        end = int(last[row]) + 1
        assert torch.equal(batch["input_ids"][row, end - len(header) : end], header)
    # the prompt is exactly what evaluation renders for the `audio` condition
    from aorgen.evaluate.models.base import ModelRequest, chat_messages
    from aorgen.evaluate.prompts import AUDIO_INSTRUCTION

    request = ModelRequest(audio=examples[0].audio, text=AUDIO_INSTRUCTION)
    rendered = processor.apply_chat_template(chat_messages(request), add_generation_prompt=True, tokenize=False)
    assert collate.text(examples[0]) == rendered
    text = processor.tokenizer.decode(batch["input_ids"][0][: int(last[0]) + 1])
    assert text.endswith("Respond to the request in the audio.<|im_end|>\n<|im_start|>assistant\n")


def test_last_token_index_handles_both_paddings():
    right = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]])
    left = torch.tensor([[0, 1, 1, 1], [0, 0, 1, 1]])
    assert last_token_index(right).tolist() == [2, 3]
    assert last_token_index(left).tolist() == [3, 3]


def test_collator_works_as_trainer_data_collator(tiny, examples, tmp_path):
    from transformers import Trainer, TrainingArguments

    model, processor = tiny
    collate = ChatCollator(processor)
    data = examples[:3]
    batch = move_batch(collate(data), model)
    weights = {n: p.detach().clone() for n, p in model.named_parameters()}
    with torch.no_grad():
        before = model(**batch).loss.item()
    args = TrainingArguments(
        output_dir=str(tmp_path), max_steps=4, per_device_train_batch_size=3, learning_rate=3e-3,
        remove_unused_columns=False, report_to=[], save_strategy="no", use_cpu=True,
        logging_strategy="no", disable_tqdm=True,
    )
    try:
        Trainer(model=model, args=args, train_dataset=data, data_collator=collate).train()
        model.eval()
        with torch.no_grad():
            after = model(**batch).loss.item()
    finally:
        with torch.no_grad():  # leave the shared tiny model as it was
            for name, param in model.named_parameters():
                param.copy_(weights[name])
        model.eval()
    assert after < before - 0.05
