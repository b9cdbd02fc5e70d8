"""LLM_PROVIDER=openai through the real ``openai`` client: constrained generation on a
real llama-server with SmolLM2-135M-Instruct, faults on loopback, the outbound policy,
and the ``llm_runtime`` health check."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from rrag.errors import LLMTimeout, LLMUnavailable, OutboundPolicyError
from rrag.llm import llm_runtime_check
from rrag.llm.openai_backend import OpenAIChat
from rrag.llm.runtime import ChatModel, build_chat_model
from rrag.settings import Settings
from tests.llm import llama_server as llama_server_module
from tests.llm.conftest import settings_for_openai
from tests.llm.llama_server import LlamaServer, LlamaServerError, free_port

# The shape an answer takes: sentences, each citing passage numbers.
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "sentences": {
            "type": "array",
            "maxItems": 2,
            "items": {
                "type": "object",
                "properties": {
                    "text": {"type": "string", "maxLength": 120},
                    "refs": {"type": "array", "maxItems": 2, "items": {"type": "integer"}},
                },
                "required": ["text", "refs"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["sentences"],
    "additionalProperties": False,
}
ASK = [
    {"role": "system", "content": "Answer from the passages as JSON; cite passage numbers."},
    {
        "role": "user",
        "content": "[1] Redmine 5.1.2 fixed the login redirect loop.\n"
        "Question: which version fixed the login redirect loop?",
    },
]


Build = Callable[..., OpenAIChat]


@pytest.fixture
def openai_chat(tmp_path: Path, chat_model: Callable[[Settings], ChatModel]) -> Build:
    """``openai_chat(base_url, **LLM_*)``: an OpenAIChat, closed after the test."""

    def build(base_url: str, **llm: Any) -> OpenAIChat:
        model = chat_model(settings_for_openai(tmp_path, base_url, **llm))
        assert isinstance(model, OpenAIChat)
        return model

    return build


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])


@pytest.mark.slow
def test_constrained_reply_parses_and_fits_the_schema(
    openai_chat: Build, llama_server: LlamaServer
) -> None:
    model = openai_chat(llama_server.base_url, model=llama_server.model)
    started = time.monotonic()
    text = model.chat_json(ASK, SCHEMA, max_tokens=256)
    took = time.monotonic() - started
    print(f"one constrained generation on SmolLM2-135M: {took:.2f}s, {len(text)} chars")
    jsonschema.validate(json.loads(text), SCHEMA)


@pytest.mark.slow
def test_ready_against_the_real_server(openai_chat: Build, llama_server: LlamaServer) -> None:
    ready = openai_chat(llama_server.base_url, model=llama_server.model).ready()
    assert ready["reachable"] and ready["model_ready"] and "error" not in ready
    other = openai_chat(llama_server.base_url, model="qwen2.5-7b").ready()
    assert other["reachable"] and not other["model_ready"]
    assert "qwen2.5-7b is not served" in other["error"]


def recorded(status: int, body: dict[str, Any], seen: list[httpx.Request]) -> httpx.MockTransport:
    """A network edge answering every request with ``status``/``body``, recording it."""

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handle)


COMPLETION = {
    "id": "c1",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "message": {"role": "assistant", "content": '{"sentences": []}'},
        }
    ],
}


def test_the_request_is_constrained_and_carries_the_key(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []
    settings = settings_for_openai(tmp_path, "http://127.0.0.1:9/v1", api_key="sk-test-1234")
    model = OpenAIChat(settings, transport=recorded(200, COMPLETION, seen))
    assert model.chat_json(ASK, SCHEMA, max_tokens=99) == '{"sentences": []}'
    (request,) = seen
    body = json.loads(request.content)
    assert request.url.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test-1234"
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "rrag_reply", "schema": SCHEMA, "strict": True},
    }
    assert body["temperature"] == 0 and body["max_tokens"] == 99 and body["messages"] == ASK
    model.close()


@pytest.mark.parametrize(
    ("status", "message"), [(404, "smollm2-135m-instruct is not served"), (500, "HTTP 500")]
)
def test_an_http_error_is_unavailable_and_not_retried(
    tmp_path: Path, status: int, message: str
) -> None:
    seen: list[httpx.Request] = []
    error = {"error": {"message": "nope", "type": "invalid_request_error"}}
    settings = settings_for_openai(tmp_path, "http://127.0.0.1:9/v1")
    model = OpenAIChat(settings, transport=recorded(status, error, seen))
    with pytest.raises(LLMUnavailable, match=message) as caught:
        model.chat_json(ASK, SCHEMA)
    assert caught.value.context["status"] == status and len(seen) == 1
    model.close()


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html", b"<html>proxy</html>"),
        ("application/json", b"[1, 2]"),
        ("application/json", b"not json"),
        ("application/json", b'{"id": "c1"}'),
    ],
)
def test_an_unreadable_reply_is_unavailable_and_not_retried(
    tmp_path: Path, content_type: str, body: bytes
) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=body, headers={"content-type": content_type})

    settings = settings_for_openai(tmp_path, "http://127.0.0.1:9/v1")
    model = OpenAIChat(settings, transport=httpx.MockTransport(handle))
    with pytest.raises(LLMUnavailable, match="unreadable reply"):
        model.chat_json(ASK, SCHEMA)
    assert len(seen) == 1
    model.close()


@pytest.mark.slow
def test_health_check_for_openai_is_ok_against_the_real_server(
    tmp_path: Path, llama_server: LlamaServer
) -> None:
    settings = settings_for_openai(tmp_path, llama_server.base_url, model=llama_server.model)
    check = llm_runtime_check(settings, timeout_s=5.0)
    assert check["status"] == "ok" and check["provider"] == "openai"
    assert check["reachable"] and check["model_ready"] and check["latency_ms"] >= 0


def test_health_check_for_openai_when_down_is_degraded(tmp_path: Path) -> None:
    settings = settings_for_openai(tmp_path, f"http://127.0.0.1:{free_port()}/v1")
    check = llm_runtime_check(settings)
    assert check["status"] == "degraded" and not check["reachable"]
    assert "APIConnectionError" in check["error"]


def test_nothing_listening_is_unavailable_quickly(openai_chat: Build) -> None:
    model = openai_chat(f"http://127.0.0.1:{free_port()}/v1")
    started = time.monotonic()
    with pytest.raises(LLMUnavailable, match="APIConnectionError") as caught:
        model.chat_json(ASK, SCHEMA)
    # < 3 s: the first request also loads the openai client's lazy modules (~1 s)
    assert time.monotonic() - started < 3.0 and caught.value.context["attempts"] == 3


def test_silence_past_the_timeout_is_llm_timeout(openai_chat: Build, silent_port: int) -> None:
    model = openai_chat(f"http://127.0.0.1:{silent_port}/v1", timeout_s=0.5)
    started = time.monotonic()
    with pytest.raises(LLMTimeout):
        model.chat_json(ASK, SCHEMA)
    assert time.monotonic() - started < 1.5


def test_a_metadata_address_is_refused_when_built(tmp_path: Path) -> None:
    with pytest.raises(OutboundPolicyError, match="LLM_BASE_URL"):
        build_chat_model(settings_for_openai(tmp_path, "http://169.254.169.254/v1"))


def test_health_check_reports_a_refused_url_as_degraded(tmp_path: Path) -> None:
    check = llm_runtime_check(settings_for_openai(tmp_path, "http://169.254.169.254/v1"))
    assert check["status"] == "degraded" and "LLM_BASE_URL" in check["error"]


def test_an_api_key_is_a_secret_and_never_shown(
    tmp_path: Path, openai_chat: Build, silent_port: int
) -> None:
    key = "sk-test-0123456789abcdef"
    model = openai_chat(f"http://127.0.0.1:{silent_port}/v1", api_key=key)
    ready = model.ready(timeout_s=0.3)
    assert key not in json.dumps(ready)
    assert key in settings_for_openai(tmp_path, "http://127.0.0.1/v1", api_key=key).secrets()


def test_a_llama_server_that_cannot_start_fails_with_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(llama_server_module, "gguf_path", lambda: tmp_path / "missing.gguf")
    with (
        pytest.raises(LlamaServerError, match="exited with") as caught,
        llama_server_module.running_llama_server(tmp_path / "server.log"),
    ):
        pass
    # the log tail comes along: at least the command line, which names the missing model
    assert "missing.gguf" in str(caught.value)
