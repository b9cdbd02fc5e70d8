"""The shared LLM runtime: which backend LLM_PROVIDER builds, the settings it reads, and
the call policy (slots, retries, fault mapping) both backends go through."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from rrag.errors import ConfigError, LLMTimeout, LLMUnavailable, OutboundPolicyError
from rrag.llm.ollama_backend import OllamaChat
from rrag.llm.openai_backend import OpenAIChat
from rrag.llm.runtime import CONNECT_RETRIES, CallPolicy, ChatModel, Fault, limiter
from rrag.settings import Settings, load_settings
from tests.conftest import make_settings
from tests.llm.conftest import settings_for_ollama, settings_for_openai


def policy(classify: Callable[[BaseException], Fault | None], **kw: float) -> CallPolicy:
    options = {"max_concurrency": 1, "timeout_s": 5.0, **kw}
    return CallPolicy(
        provider="test",
        where="http://127.0.0.1:1",
        max_concurrency=int(options["max_concurrency"]),
        timeout_s=options["timeout_s"],
        classify=classify,
    )


def test_provider_none_builds_no_model(tmp_path: Path) -> None:
    from rrag.llm.runtime import build_chat_model

    assert build_chat_model(make_settings(tmp_path)) is None


def test_each_provider_builds_its_backend(
    tmp_path: Path, chat_model: Callable[[Settings], ChatModel]
) -> None:
    ollama = chat_model(settings_for_ollama(tmp_path, "http://127.0.0.1:11434"))
    openai = chat_model(settings_for_openai(tmp_path, "http://127.0.0.1:8080/v1"))
    assert isinstance(ollama, OllamaChat) and ollama.provider == "ollama"
    assert isinstance(openai, OpenAIChat) and openai.provider == "openai"
    assert openai.model == "smollm2-135m-instruct"


def test_llm_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "openai")
    monkeypatch.setenv("LLM_BASE_URL", "http://127.0.0.1:9000/v1")
    monkeypatch.setenv("LLM_MODEL", "qwen2.5-0.5b")
    monkeypatch.setenv("LLM_API_KEY", "sk-env-key-123")
    monkeypatch.setenv("LLM_TIMEOUT_S", "12.5")
    llm = load_settings().llm
    assert (llm.provider, llm.base_url, llm.model, llm.timeout_s) == (
        "openai",
        "http://127.0.0.1:9000/v1",
        "qwen2.5-0.5b",
        12.5,
    )
    assert "sk-env-key-123" in load_settings().secrets()


def test_an_unknown_provider_is_a_one_line_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "gpt")
    with pytest.raises(ConfigError, match=r"^invalid setting LLM_PROVIDER: .*'openai'") as caught:
        load_settings()
    assert "\n" not in str(caught.value)


def test_the_limiter_is_one_per_process() -> None:
    assert limiter(3) is limiter(3)


def test_a_queue_for_a_slot_ends_within_the_timeout() -> None:
    slow = policy(lambda _exc: None, timeout_s=0.3)
    release = threading.Event()
    holder = threading.Thread(target=slow.run, args=(release.wait,))
    holder.start()
    time.sleep(0.05)  # the holder has the only slot
    started = time.monotonic()
    try:
        with pytest.raises(LLMTimeout, match=r"no free LLM slot within 0\.3s"):
            slow.run(lambda: "never")
    finally:
        release.set()
        holder.join()
    assert 0.25 < time.monotonic() - started < 1.0
    assert slow.run(lambda: "freed") == "freed"


def test_other_errors_pass_through_unretried() -> None:
    calls: list[int] = []

    def broken() -> str:
        calls.append(1)
        raise ValueError("a bug, not a fault of the runtime")

    with pytest.raises(ValueError, match="a bug"):
        policy(lambda _exc: None).run(broken)
    assert calls == [1]


def test_connection_faults_are_retried_a_bounded_number_of_times() -> None:
    calls: list[int] = []

    def refused() -> str:
        calls.append(1)
        raise ConnectionRefusedError

    with pytest.raises(LLMUnavailable, match="ConnectionRefusedError"):
        policy(lambda exc: "connect" if isinstance(exc, OSError) else None).run(refused)
    assert len(calls) == 1 + CONNECT_RETRIES


def test_a_request_refused_by_the_outbound_policy_is_unavailable() -> None:
    def refused() -> str:
        raise OutboundPolicyError(
            "LLM_BASE_URL: host example.test resolves to a link-local address"
        )

    with pytest.raises(LLMUnavailable, match="link-local") as caught:
        policy(lambda _exc: None).run(refused)
    assert caught.value.context["refused"] is True
