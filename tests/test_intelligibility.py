"""Intelligibility check: WER arithmetic on known strings, and the Whisper round trip for real
with a tiny random WhisperForConditionalGeneration + WhisperProcessor built from a config."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aorgen.errors import AorgenError
from aorgen.intelligibility import (
    SpokenClip,
    Transcriber,
    check_intelligibility,
    edit_distance,
    word_error_rate,
    words,
)

SPECIAL_TOKENS = ["<|endoftext|>", "<|startoftranscript|>", "<|en|>", "<|transcribe|>", "<|translate|>",
                  "<|startoflm|>", "<|startofprev|>", "<|nocaptions|>", "<|notimestamps|>"]


@pytest.mark.parametrize(("reference", "hypothesis", "expected"), [
    ("a b c", "a x c", 1 / 3),         # one substitution
    ("a b c", "a c", 1 / 3),           # one deletion
    ("a b", "a x b", 1 / 2),           # one insertion
    ("a b c", "c b a", 2 / 3),         # a swap is two substitutions
    ("a b c", "", 1.0),
    ("", "", 0.0),
    ("", "a", 1.0),
    ("How do I shoot him from here?", "how do i shoot him from here", 0.0),
    ("He scored 3 points.", "he scored three points", 0.0),
    ("I'm twenty-one", "Im twenty one", 0.0),
    ("Shoot the ball, now!", "shoot the wall now", 1 / 4),
])
def test_word_error_rate_on_known_strings(reference, hypothesis, expected):
    assert word_error_rate(reference, hypothesis) == pytest.approx(expected)


def test_words_are_normalised_for_scoring():
    assert words("Dr. Smith's 2nd shot: 100%!") == ["doctor", "smiths", "second", "shot", "one", "hundred", "percent"]


def test_edit_distance_counts_word_edits():
    assert edit_distance("the cat sat on the mat".split(), "the cat sat mat".split()) == 2
    assert edit_distance([], ["a", "b"]) == 2


def build_tiny_whisper(folder: Path, seed: int = 0) -> Path:
    """A random 1-layer Whisper with a byte-level BPE trained in-process and Whisper's special
    tokens, saved so that WhisperProcessor / WhisperForConditionalGeneration.from_pretrained load it."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    folder.mkdir(parents=True, exist_ok=True)
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=300, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    bpe.train_from_iterator(["how do i shoot him from here without the big guy blocking me",
                             "take the shot before the buzzer"] * 4, trainer)
    bpe.model.save(str(folder))
    tokenizer = transformers.WhisperTokenizer(vocab=str(folder / "vocab.json"), merges=str(folder / "merges.txt"),
                                              pad_token="<|endoftext|>")
    tokenizer.add_special_tokens({"additional_special_tokens": SPECIAL_TOKENS[1:]})
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
    eos = ids["<|endoftext|>"]
    processor = transformers.WhisperProcessor(feature_extractor=transformers.WhisperFeatureExtractor(feature_size=80),
                                              tokenizer=tokenizer)
    config = transformers.WhisperConfig(
        vocab_size=len(tokenizer), num_mel_bins=80, d_model=16, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32,
        max_source_positions=1500, max_target_positions=64, pad_token_id=eos, bos_token_id=eos,
        eos_token_id=eos, decoder_start_token_id=ids["<|startoftranscript|>"],
    )
    torch.manual_seed(seed)
    model = transformers.WhisperForConditionalGeneration(config).eval()
    gen = model.generation_config  # as an English-only Whisper: no language or task tokens
    gen.is_multilingual = False
    gen.no_timestamps_token_id = ids["<|notimestamps|>"]
    gen.forced_decoder_ids = None
    gen.begin_suppress_tokens = [eos]
    gen.suppress_tokens = [i for t, i in ids.items() if i != eos]
    gen.max_length = config.max_target_positions
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def transcriber(tmp_path_factory) -> Transcriber:
    return Transcriber(build_tiny_whisper(tmp_path_factory.mktemp("whisper")), device="cpu")


def noise(seconds: float, rate: int, seed: int) -> np.ndarray:
    return (0.1 * np.random.default_rng(seed).standard_normal(int(seconds * rate))).astype(np.float32)


def test_round_trip_transcribes_every_clip_and_scores_it(transcriber):
    clips = [SpokenClip("a", noise(1.0, 16000, 1), 16000, "Take the shot."),
             SpokenClip("b", noise(2.0, 22050, 2), 22050, "How do I shoot him from here?"),
             SpokenClip("c", noise(0.5, 24000, 3), 24000, "Block him.")]
    checks = check_intelligibility(clips, transcriber, threshold=0.5, batch_size=2)
    assert [c.id for c in checks] == ["a", "b", "c"]
    for clip, check in zip(clips, checks):
        assert check.reference == clip.text and check.transcript
        assert check.wer == pytest.approx(word_error_rate(clip.text, check.transcript), abs=1e-4)
        assert check.flagged == (check.wer > 0.5)
    again = transcriber.transcribe([(c.samples, c.sample_rate) for c in clips], batch_size=1)
    assert again == [c.transcript for c in checks]  # greedy, batch-independent, repeatable


def test_a_clip_heard_as_written_passes_and_one_heard_otherwise_is_flagged(transcriber):
    audio = noise(1.5, 16000, 4)
    heard = transcriber.transcribe([(audio, 16000)])[0]
    checks = check_intelligibility([SpokenClip("same", audio, 16000, heard),
                                    SpokenClip("other", audio, 16000, "completely different words here")],
                                   transcriber, threshold=0.3)
    assert (checks[0].wer, checks[0].flagged) == (0.0, False)
    assert checks[1].flagged and checks[1].wer > 0.3


def test_an_unloadable_model_is_one_clear_error(tmp_path):
    pytest.importorskip("transformers")
    with pytest.raises(AorgenError, match="cannot load Whisper model"):
        Transcriber(tmp_path / "missing")
