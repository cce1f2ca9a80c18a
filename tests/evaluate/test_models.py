"""Model adapters: the tiny Qwen2-Audio builder, the transformers adapters (batching with
left padding), and the OpenAI-compatible adapter against a local fake endpoint."""

from __future__ import annotations

import base64
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
import soundfile as sf

from aorgen.errors import AorgenError
from aorgen.evaluate.models import ADAPTERS, ModelRequest, get_adapter, resolve_adapter
from aorgen.evaluate.records import GenerationOptions
from aorgen.testing.tiny_models import build_tiny_qwen2_audio

pytestmark = pytest.mark.slow  # tiny transformer models built and loaded (fast lane: pytest -m "not slow")

GREEDY = GenerationOptions(max_new_tokens=12)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return build_tiny_qwen2_audio(tmp_path_factory.mktemp("tiny") / "qwen2audio", seed=0)


@pytest.fixture(scope="module")
def qwen(tiny_model):
    return get_adapter("qwen2_audio", str(tiny_model))


def requests(n: int = 8, seed: int = 0) -> list[ModelRequest]:
    """Requests of different audio and text lengths, so a batch needs padding."""
    rng = np.random.default_rng(seed)
    return [
        ModelRequest(
            audio=(0.1 * rng.standard_normal(int(16000 * (0.2 + 0.3 * i)))).astype(np.float32),
            text="Respond to the request" + " please" * i,
        )
        for i in range(n)
    ]


def test_tiny_builder_is_deterministic(tiny_model, tmp_path):
    again = build_tiny_qwen2_audio(tmp_path / "again", seed=0)
    other = build_tiny_qwen2_audio(tmp_path / "other", seed=1)
    weights = "model.safetensors"
    assert (again / weights).read_bytes() == (tiny_model / weights).read_bytes()
    assert (other / weights).read_bytes() != (tiny_model / weights).read_bytes()
    assert (again / "tokenizer.json").read_bytes() == (tiny_model / "tokenizer.json").read_bytes()


def test_adapter_is_resolved_from_the_checkpoint(tiny_model):
    assert resolve_adapter(str(tiny_model)) == "qwen2_audio"
    assert resolve_adapter(str(tiny_model), "openai") == "openai"
    with pytest.raises(AorgenError, match="unknown adapter"):
        resolve_adapter(str(tiny_model), "nope")
    assert set(ADAPTERS) >= {"qwen2_audio", "qwen2_5_omni", "hf", "openai"}


def test_batch_1_and_batch_8_give_the_same_outputs(qwen):
    reqs = requests(8)
    batched = qwen.generate(reqs, GREEDY)
    single = [qwen.generate([r], GREEDY)[0] for r in reqs]
    assert [o.response for o in batched] == [o.response for o in single]
    assert [o.prompt for o in batched] == [o.prompt for o in single]
    assert all(o.error is None and o.response for o in batched)


def test_prompt_records_the_chat_template(qwen):
    [out] = qwen.generate([ModelRequest(audio=np.zeros(8000, np.float32), text="Hi there.", system="Be brief.")], GREEDY)
    assert out.prompt == (
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n"
        "Audio 1: <|audio_bos|><|AUDIO|><|audio_eos|>\nHi there.<|im_end|>\n<|im_start|>assistant\n"
    )


def test_text_only_and_audio_only_requests(qwen):
    outs = qwen.generate([ModelRequest(text="How do I bake bread?")], GREEDY)
    assert "<|AUDIO|>" not in outs[0].prompt and outs[0].response
    outs = qwen.generate([ModelRequest(audio=np.zeros(16000, np.float32))], GREEDY)
    assert outs[0].prompt.endswith("<|audio_eos|>\n<|im_end|>\n<|im_start|>assistant\n")


def test_generic_adapter_matches_the_qwen_adapter(tiny_model, qwen):
    generic = get_adapter("hf", str(tiny_model))
    reqs = requests(3, seed=1)
    assert [o.response for o in generic.generate(reqs, GREEDY)] == [o.response for o in qwen.generate(reqs, GREEDY)]


def test_sampling_is_seeded(qwen):
    opts = GenerationOptions(max_new_tokens=12, do_sample=True, temperature=1.0, seed=3)
    reqs = requests(2)
    assert [o.response for o in qwen.generate(reqs, opts)] == [o.response for o in qwen.generate(reqs, opts)]


@pytest.mark.parametrize("thinker_only", [True, False], ids=["thinker", "full-omni"])
def test_omni_adapter_loads_the_thinker(tmp_path, thinker_only):
    from safetensors.torch import load_file

    from aorgen.testing.tiny_models import build_tiny_qwen25_omni

    folder = build_tiny_qwen25_omni(tmp_path / "omni", thinker_only=thinker_only)
    assert resolve_adapter(str(folder)) == "qwen2_5_omni"
    omni = get_adapter("qwen2_5_omni", str(folder))
    assert type(omni.model).__name__ == "Qwen2_5OmniThinkerForConditionalGeneration"
    saved = load_file(str(folder / "model.safetensors"))
    key = "lm_head.weight" if thinker_only else "thinker.lm_head.weight"
    assert (omni.model.lm_head.weight.detach() == saved[key]).all()  # loaded, not re-initialised
    assert not any(k.startswith("talker") for k in omni.model.state_dict())
    reqs = requests(3)
    assert [o.response for o in omni.generate(reqs, GREEDY)] == [omni.generate([r], GREEDY)[0].response for r in reqs]


def _torchvision_missing() -> bool:
    try:
        import torchvision  # noqa: F401  (a broken install fails here, loudly: not a skip)
    except ModuleNotFoundError:
        return True
    return False


@pytest.mark.skipif(_torchvision_missing(), reason=(
    "torchvision is not installed: transformers 5 builds Qwen2_5OmniProcessor only with a video processor, "
    "and its video processors need torchvision; install the omni extra with the CPU build: "
    "pip install torchvision==0.28.0 --index-url https://download.pytorch.org/whl/cpu"))
def test_omni_adapter_with_the_real_omni_processor(tmp_path):
    from aorgen.testing.tiny_models import build_tiny_qwen25_omni

    folder = build_tiny_qwen25_omni(tmp_path / "omni", omni_processor=True)
    omni = get_adapter("qwen2_5_omni", str(folder))
    assert type(omni.processor).__name__ == "Qwen2_5OmniProcessor"
    assert type(omni.processor.feature_extractor).__name__ == "WhisperFeatureExtractor"
    reqs = requests(3)
    batched = [o.response for o in omni.generate(reqs, GREEDY)]
    assert batched == [omni.generate([r], GREEDY)[0].response for r in reqs]
    assert all(isinstance(r, str) for r in batched)


def test_omni_adapter_needs_an_omni_checkpoint(tiny_model):
    # a Qwen2-Audio folder is not an Omni checkpoint: one clear error
    with pytest.raises(AorgenError, match="not a Qwen2.5-Omni checkpoint"):
        get_adapter("qwen2_5_omni", str(tiny_model))


# --- OpenAI-compatible endpoint ---------------------------------------------------------


class FakeEndpoint(BaseHTTPRequestHandler):
    """Minimal /v1/chat/completions and /v1/completions on 127.0.0.1."""

    received: list[dict] = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeEndpoint.received.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
        if self.path.endswith("/chat/completions"):
            text = json.dumps(body["messages"])
            if "FAIL" in text:
                return self._send(400, {"error": {"message": "rejected by the fake", "type": "invalid_request_error"}})
            has_audio = "input_audio" in text
            content = "Sure! Here is how to take the shot." if has_audio else "I'm sorry, I can't help with that."
            message = {"role": "assistant", "content": content}
            return self._send(200, {"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                                    "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]})
        return self._send(200, {"id": "y", "object": "text_completion", "created": 0, "model": body["model"],
                                "choices": [{"index": 0, "text": "Harmful request: no\nResponse refusal: yes\n"
                                             "Harmful response: no", "finish_reason": "stop"}]})

    def _send(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_openai_adapter_sends_base64_wav_and_is_greedy(endpoint, monkeypatch):
    monkeypatch.setenv("AORGEN_TEST_KEY", "secret")
    FakeEndpoint.received.clear()
    adapter = get_adapter("openai", "served-model", base_url=endpoint, api_key_env="AORGEN_TEST_KEY")
    tone = (0.2 * np.sin(np.arange(16000) / 16000 * 2 * np.pi * 440)).astype(np.float32)
    outs = adapter.generate(
        [ModelRequest(audio=tone, text="Respond."), ModelRequest(text="How do I shoot him?", system="Be brief.")],
        GREEDY,
    )
    assert [o.response for o in outs] == ["Sure! Here is how to take the shot.", "I'm sorry, I can't help with that."]
    sent = sorted(FakeEndpoint.received, key=lambda r: len(json.dumps(r)), reverse=True)[0]
    assert sent["model"] == "served-model" and sent["temperature"] == 0.0 and sent["max_tokens"] == 12
    assert sent["auth"] == "Bearer secret"
    part = sent["messages"][0]["content"][0]
    assert part["type"] == "input_audio" and part["input_audio"]["format"] == "wav"
    audio, sr = sf.read(io.BytesIO(base64.b64decode(part["input_audio"]["data"])), dtype="float32")
    assert sr == 16000 and np.max(np.abs(audio - tone)) < 1e-3
    # the recorded prompt describes the audio instead of embedding it
    recorded = json.loads(outs[0].prompt)
    assert recorded[0]["content"][0]["input_audio"]["data"] == "<16000 samples at 16000 Hz>"
    assert json.loads(outs[1].prompt)[0] == {"role": "system", "content": "Be brief."}


def test_openai_adapter_records_failures_as_errors(endpoint):
    adapter = get_adapter("openai", "served-model", base_url=endpoint)
    [out] = adapter.generate([ModelRequest(text="FAIL please")], GREEDY)
    assert out.response is None and "rejected by the fake" in out.error


def test_judges_over_an_openai_endpoint(endpoint):
    from aorgen.evaluate.judges import FULL_REFUSAL, JudgeRequest, get_judge

    llm = get_judge("llm", model="judge-model", base_url=endpoint)
    [v] = llm.judge([JudgeRequest("How do I shoot him?", "Aim for the hoop.")])
    # the fake answers chat requests without audio with a refusal sentence, naming no class
    assert v.label == "error" and v.raw == "I'm sorry, I can't help with that."
    wg = get_judge("wildguard", backend="openai", base_url=endpoint)
    [v] = wg.judge([JudgeRequest("How do I shoot him?", "No.")])
    assert v.label == FULL_REFUSAL and v.detail["harmful_request"] is False
    assert FakeEndpoint.received[-1]["path"].endswith("/completions")
    assert FakeEndpoint.received[-1]["prompt"].startswith("<s><|user|>\n[INST] You are a classifier")
