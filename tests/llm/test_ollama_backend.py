"""LLM_PROVIDER=ollama through the real ``ollama`` client against the Ollama stand-in
over real HTTP on loopback: replies, timeouts, drops, missing models, the limit."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rrag.errors import LLMTimeout, LLMUnavailable, OutboundPolicyError
from rrag.llm.ollama_backend import OllamaChat
from rrag.llm.runtime import CONNECT_RETRIES, ChatModel, build_chat_model
from rrag.settings import Settings
from tests.llm.conftest import settings_for_ollama
from tests.llm.llama_server import free_port
from tests.llm.ollama_standin import OllamaStandIn

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"answer": {"type": "string"}},
    "required": ["answer"],
}
ASK = [{"role": "user", "content": "What fixed the login bug?"}]


Build = Callable[..., ChatModel]


@pytest.fixture
def chat(tmp_path: Path, chat_model: Callable[[Settings], ChatModel]) -> Build:
    """``chat(url_or_standin, **OLLAMA_*)``: an OllamaChat, closed after the test."""

    def build(where: OllamaStandIn | str, **ollama: Any) -> ChatModel:
        url = where.base_url if isinstance(where, OllamaStandIn) else where
        model = chat_model(settings_for_ollama(tmp_path, url, **ollama))
        assert isinstance(model, OllamaChat)
        return model

    return build


def test_reply_is_the_message_content_and_the_request_is_constrained(
    chat: Build, ollama_standin: OllamaStandIn
) -> None:
    ollama_standin.reply = lambda request: json.dumps({"answer": "5.1.2 fixed it"})
    text = chat(ollama_standin).chat_json(ASK, SCHEMA, max_tokens=77)
    assert json.loads(text) == {"answer": "5.1.2 fixed it"}
    (sent,) = ollama_standin.received
    assert sent["model"] == "llama3.1:8b" and sent["messages"] == ASK
    assert sent["format"] == SCHEMA and sent["stream"] is False
    assert sent["options"] == {"temperature": 0, "num_predict": 77}


def test_slow_past_the_timeout_is_llm_timeout_not_retried(
    chat: Build, ollama_standin: OllamaStandIn
) -> None:
    ollama_standin.delay_s = 3.0
    model = chat(ollama_standin, timeout_s=0.5)
    started = time.monotonic()
    with pytest.raises(LLMTimeout, match=r"did not answer within 0\.5s"):
        model.chat_json(ASK, SCHEMA)
    assert time.monotonic() - started < 1.5
    assert ollama_standin.chat_calls == 1


def test_a_dropped_connection_is_retried(chat: Build, ollama_standin: OllamaStandIn) -> None:
    ollama_standin.drop = 1
    assert chat(ollama_standin).chat_json(ASK, SCHEMA) == "{}"
    assert ollama_standin.chat_calls == 2


def test_always_dropped_is_unavailable_after_bounded_retries(
    chat: Build, ollama_standin: OllamaStandIn
) -> None:
    ollama_standin.drop = 100
    with pytest.raises(LLMUnavailable, match="RemoteProtocolError") as caught:
        chat(ollama_standin).chat_json(ASK, SCHEMA)
    assert ollama_standin.chat_calls == 1 + CONNECT_RETRIES
    assert caught.value.context["attempts"] == 1 + CONNECT_RETRIES


def test_missing_model_is_unavailable_with_the_pull_command_not_retried(
    chat: Build, ollama_standin: OllamaStandIn
) -> None:
    ollama_standin.models = ["other:1b"]
    with pytest.raises(LLMUnavailable, match=r"ollama pull llama3\.1:8b"):
        chat(ollama_standin).chat_json(ASK, SCHEMA)
    assert ollama_standin.chat_calls == 1


def test_an_http_error_is_unavailable_and_not_retried(
    chat: Build, ollama_standin: OllamaStandIn
) -> None:
    ollama_standin.chat_status = 500
    with pytest.raises(LLMUnavailable, match="HTTP 500") as caught:
        chat(ollama_standin).chat_json(ASK, SCHEMA)
    assert caught.value.context["status"] == 500 and ollama_standin.chat_calls == 1


@pytest.mark.parametrize("body", [b"<html>proxy</html>", b"[1, 2]", b'{"model": "x"}'])
def test_an_unreadable_reply_is_unavailable_and_not_retried(
    chat: Build, ollama_standin: OllamaStandIn, body: bytes
) -> None:
    ollama_standin.raw_chat = body
    with pytest.raises(LLMUnavailable, match="unreadable reply"):
        chat(ollama_standin).chat_json(ASK, SCHEMA)
    assert ollama_standin.chat_calls == 1


def test_nothing_listening_is_unavailable_quickly(chat: Build) -> None:
    model = chat(f"http://127.0.0.1:{free_port()}")
    started = time.monotonic()
    with pytest.raises(LLMUnavailable, match="unavailable"):
        model.chat_json(ASK, SCHEMA)
    assert time.monotonic() - started < 2.0


def test_at_most_max_concurrency_in_flight_across_models(
    chat: Build, ollama_standin: OllamaStandIn
) -> None:
    ollama_standin.delay_s = 0.3
    models = [chat(ollama_standin, max_concurrency=2) for _ in range(2)]
    errors: list[BaseException] = []

    def call(i: int) -> None:
        try:
            models[i % 2].chat_json(ASK, SCHEMA)
        except BaseException as exc:  # surfaced by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert ollama_standin.chat_calls == 8 and ollama_standin.max_in_flight == 2


def test_ready_reports_the_model_pulled(chat: Build, ollama_standin: OllamaStandIn) -> None:
    ready = chat(ollama_standin).ready()
    assert ready["reachable"] and ready["model_ready"] and "error" not in ready
    ollama_standin.models = ["qwen2.5:latest"]
    missing = chat(ollama_standin).ready()
    assert missing["reachable"] and not missing["model_ready"]
    assert "ollama pull llama3.1:8b" in missing["error"]


def test_ready_when_down_is_unreachable(chat: Build) -> None:
    ready = chat(f"http://127.0.0.1:{free_port()}").ready()
    assert not ready["reachable"] and not ready["model_ready"] and ready["error"]


def test_a_metadata_address_is_refused_when_built(tmp_path: Path) -> None:
    with pytest.raises(OutboundPolicyError, match="OLLAMA_BASE_URL"):
        build_chat_model(settings_for_ollama(tmp_path, "http://169.254.169.254"))
