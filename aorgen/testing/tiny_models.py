"""Tiny, randomly initialised models built from configs, for tests.

Nothing is downloaded: the tokenizer is trained in-process on a small corpus and the
weights come from a seeded random init, so the same seed always gives the same files.
"""

from __future__ import annotations

from pathlib import Path

SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|AUDIO|>",
    "<|audio_bos|>",
    "<|audio_eos|>",
]

# Qwen2-Audio-Instruct's chat template (as shipped on the Hub), so prompts built for the
# tiny model have the same shape as for the real one.
QWEN2_AUDIO_CHAT_TEMPLATE = (
    "{% set audio_count = namespace(value=0) %}"
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}"
    "{{ message['content'] }}<|im_end|>\n"
    "{% else %}"
    "{% for content in message['content'] %}"
    "{% if content['type'] == 'audio' or 'audio' in content or 'audio_url' in content %}"
    "{% set audio_count.value = audio_count.value + 1 %}"
    "Audio {{ audio_count.value }}: <|audio_bos|><|AUDIO|><|audio_eos|>\n"
    "{% elif 'text' in content %}"
    "{{ content['text'] }}"
    "{% endif %}"
    "{% endfor %}"
    "<|im_end|>\n"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}"
    "<|im_start|>assistant\n"
    "{% endif %}"
)

CORPUS = [
    "I'm sorry, I cannot help with that.",
    "I can't assist with that request because it could cause harm.",
    "As an AI language model, I must decline.",
    "Sure! Here is how you do it, step by step.",
    "Of course. First, take the ball and shoot it toward the basket.",
    "You are a helpful assistant. Listen to the audio and respond to the request.",
    "Think about the sound in the background before you answer.",
    "The kitchen knife should be sharp; cut the onion slowly.",
    "In the video game, blow up the bridge to win the level.",
    "The crowd cheers as the player takes the shot.",
    "How do I kill the process on the server?",
    "What is the weather like today? It is sunny and warm.",
    "Please describe the scene, the speaker and the context.",
    "the a an and or but if then because so to of in on at for with from by",
    "one two three four five six seven eight nine ten yes no maybe",
]


def _train_tokenizer(vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(CORPUS * 4, trainer=trainer)
    return tok


def _tiny_tokenizer():
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=_train_tokenizer(vocab_size=400),
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=SPECIAL_TOKENS[1:],
        padding_side="left",
    )


def _text_config(tokenizer) -> dict:
    return {
        "model_type": "qwen2",
        "vocab_size": len(tokenizer),
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 2048,
        "tie_word_embeddings": False,
        "pad_token_id": tokenizer.pad_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "bos_token_id": None,
    }


def _fix_generation_config(model, tokenizer) -> None:
    gen = model.generation_config
    gen.pad_token_id = tokenizer.pad_token_id
    gen.eos_token_id = tokenizer.eos_token_id
    gen.bos_token_id = None


def build_tiny_causal_lm(out_dir: Path, seed: int = 0) -> Path:
    """Build a tiny random Qwen2 causal LM + tokenizer (with a chat template) in ``out_dir``,
    loadable with ``AutoModelForCausalLM`` / ``AutoTokenizer``. Deterministic for a seed."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = _tiny_tokenizer()
    tokenizer.chat_template = QWEN2_AUDIO_CHAT_TEMPLATE
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(Qwen2Config(**_text_config(tokenizer))).eval()
    _fix_generation_config(model, tokenizer)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


def build_tiny_qwen2_audio(out_dir: Path, seed: int = 0) -> Path:
    """Build a tiny random `Qwen2AudioForConditionalGeneration` + `Qwen2AudioProcessor`.

    Both are saved to ``out_dir`` so that ``AutoProcessor.from_pretrained(out_dir)`` and
    ``Qwen2AudioForConditionalGeneration.from_pretrained(out_dir)`` load them. The
    feature extractor uses 4-second windows (real model: 30 s) to keep tests fast; longer
    audio is truncated. Deterministic for a given seed. Returns ``out_dir``.
    """
    import torch
    from transformers import (
        Qwen2AudioConfig,
        Qwen2AudioForConditionalGeneration,
        Qwen2AudioProcessor,
        WhisperFeatureExtractor,
    )

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    tokenizer = _tiny_tokenizer()
    chunk_s = 4
    feature_extractor = WhisperFeatureExtractor(
        feature_size=128, sampling_rate=16000, hop_length=160, chunk_length=chunk_s, n_fft=400
    )
    processor = Qwen2AudioProcessor(
        feature_extractor=feature_extractor,
        tokenizer=tokenizer,
        chat_template=QWEN2_AUDIO_CHAT_TEMPLATE,
    )

    config = Qwen2AudioConfig(
        audio_config={
            "model_type": "qwen2_audio_encoder",
            "num_mel_bins": 128,
            "encoder_layers": 2,
            "encoder_attention_heads": 2,
            "encoder_ffn_dim": 64,
            "d_model": 32,
            # conv2 has stride 2: the encoder expects 2 * max_source_positions mel frames
            "max_source_positions": feature_extractor.nb_max_frames // 2,
        },
        text_config=_text_config(tokenizer),
        audio_token_index=tokenizer.convert_tokens_to_ids("<|AUDIO|>"),
    )
    config.pad_token_id = tokenizer.pad_token_id
    config.eos_token_id = tokenizer.eos_token_id
    torch.manual_seed(seed)
    model = Qwen2AudioForConditionalGeneration(config).eval()
    _fix_generation_config(model, tokenizer)
    model.save_pretrained(out_dir)
    processor.save_pretrained(out_dir)
    return out_dir


def build_tiny_qwen25_omni(out_dir: Path, seed: int = 0, *, thinker_only: bool = True,
                           omni_processor: bool = False) -> Path:
    """Build a tiny random Qwen2.5-Omni *thinker* (``thinker_only``) or a full Omni model
    without the talker (``enable_audio_output=False``) in ``out_dir``.

    With ``omni_processor`` the processor saved beside it is the real ``Qwen2_5OmniProcessor``
    (the tiny Whisper feature extractor and tokenizer, Qwen2-VL image and video processors);
    it needs torchvision (the ``omni`` extra): transformers 5 checks the video processor's
    class, and its video processors are available only with torchvision. Without it, the
    tiny Qwen2-Audio processor is saved: the thinker takes the same inputs for audio (Whisper
    features, ``feature_attention_mask``, one ``<|AUDIO|>`` token per encoder frame).
    """
    import shutil
    import tempfile

    import torch
    from transformers import (
        AutoProcessor,
        Qwen2_5OmniConfig,
        Qwen2_5OmniForConditionalGeneration,
        Qwen2_5OmniThinkerConfig,
        Qwen2_5OmniThinkerForConditionalGeneration,
    )

    out_dir = Path(out_dir)
    with tempfile.TemporaryDirectory() as tmp:
        processor = AutoProcessor.from_pretrained(build_tiny_qwen2_audio(Path(tmp) / "qwen2_audio", seed))
    if omni_processor:
        from transformers import Qwen2_5OmniProcessor, Qwen2VLImageProcessor, Qwen2VLVideoProcessor

        processor = Qwen2_5OmniProcessor(
            image_processor=Qwen2VLImageProcessor(), video_processor=Qwen2VLVideoProcessor(),
            feature_extractor=processor.feature_extractor, tokenizer=processor.tokenizer,
            chat_template=processor.chat_template,
        )
    tokenizer = processor.tokenizer
    vocab = len(tokenizer)
    token = tokenizer.convert_tokens_to_ids
    text = _text_config(tokenizer)
    text.pop("model_type")
    # multimodal rotary positions: head_dim 16 = 2 * (2 + 3 + 3)
    text["rope_parameters"] = {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [2, 3, 3]}
    thinker = Qwen2_5OmniThinkerConfig(
        audio_config={
            "num_mel_bins": 128, "encoder_layers": 2, "encoder_attention_heads": 2, "encoder_ffn_dim": 64,
            "d_model": 32, "max_source_positions": processor.feature_extractor.nb_max_frames // 2,
            "n_window": 50, "output_dim": text["hidden_size"],
        },
        vision_config={
            "depth": 1, "hidden_size": 32, "intermediate_size": 64, "num_heads": 2,
            "out_hidden_size": text["hidden_size"], "fullatt_block_indexes": [0],
        },
        text_config=text,
        audio_token_index=token("<|AUDIO|>"),
        audio_start_token_id=token("<|audio_bos|>"),
        audio_end_token_id=token("<|audio_eos|>"),
        user_token_id=token("<|im_start|>"),
        # the tiny vocabulary has no vision tokens: point them at ids text never uses
        image_token_index=vocab - 1,
        video_token_index=vocab - 2,
    )
    thinker.vision_start_token_id = vocab - 3  # set by real checkpoints, read by get_rope_index
    thinker.vision_end_token_id = vocab - 4
    torch.manual_seed(seed)
    if thinker_only:
        model = Qwen2_5OmniThinkerForConditionalGeneration(thinker)
    else:
        model = Qwen2_5OmniForConditionalGeneration(
            Qwen2_5OmniConfig(thinker_config=thinker.to_dict(), enable_audio_output=False)
        )
    _fix_generation_config(model, tokenizer)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    model.eval().save_pretrained(out_dir)
    processor.save_pretrained(out_dir)
    return out_dir


_WHISPER_SPECIAL_TOKENS = ["<|endoftext|>", "<|startoftranscript|>", "<|en|>", "<|transcribe|>", "<|translate|>",
                          "<|startoflm|>", "<|startofprev|>", "<|nocaptions|>", "<|notimestamps|>"]


def build_tiny_whisper(folder: Path, seed: int = 0) -> Path:
    """A random 1-layer Whisper with a byte-level BPE trained in-process and Whisper's special
    tokens, saved so that WhisperProcessor / WhisperForConditionalGeneration.from_pretrained load it."""
    import torch
    import transformers
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
    tokenizer.add_special_tokens({"additional_special_tokens": _WHISPER_SPECIAL_TOKENS[1:]})
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in _WHISPER_SPECIAL_TOKENS}
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


def build_tiny_clap(folder: Path, words: list[str] = (), seed: int = 0) -> Path:
    """A tiny random ClapModel and its ClapProcessor written to ``folder`` like a Hub checkpoint:
    the default ClapFeatureExtractor (48 kHz, fused 4-channel mel input, hence
    ``enable_fusion``) and a byte-level BPE RobertaTokenizer built offline from single
    characters plus one merge chain per word in ``words`` (any text tokenises)."""
    import torch
    from transformers import ClapConfig, ClapFeatureExtractor, ClapModel, ClapProcessor, RobertaTokenizer

    vocab = {t: i for i, t in enumerate(["<s>", "<pad>", "</s>", "<unk>", "<mask>"])}
    for ch in "Ġabcdefghijklmnopqrstuvwxyz0123456789-'":
        vocab.setdefault(ch, len(vocab))
    merges: list[tuple[str, str]] = []
    for word in dict.fromkeys(w.lower() for w in words):
        merged = "Ġ"
        for ch in word:
            if (merged, ch) not in merges:
                merges.append((merged, ch))
            merged += ch
            vocab.setdefault(merged, len(vocab))
    tokenizer = RobertaTokenizer(vocab=vocab, merges=merges)
    torch.manual_seed(seed)
    config = ClapConfig(
        text_config={"vocab_size": len(vocab), "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                     "intermediate_size": 37, "max_position_embeddings": 80, "pad_token_id": 1,
                     "bos_token_id": 0, "eos_token_id": 2, "projection_hidden_size": 32},
        audio_config={"hidden_size": 16, "patch_embeds_hidden_size": 8, "depths": [1, 1],
                      "num_attention_heads": [2, 2], "window_size": 8, "spec_size": 256, "num_mel_bins": 64,
                      "projection_hidden_size": 32, "enable_fusion": True},
        projection_dim=16,
    )
    folder = Path(folder)
    ClapModel(config).eval().save_pretrained(folder)
    ClapProcessor(feature_extractor=ClapFeatureExtractor(), tokenizer=tokenizer).save_pretrained(folder)
    return folder
