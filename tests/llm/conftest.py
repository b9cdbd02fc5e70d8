"""LLM fixtures: the Ollama stand-in per test, ChatModels closed after each test, and
settings builders for either provider (the session's llama-server fixture lives in
:mod:`tests.llm.llama_server`, registered for the whole suite by ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rrag.llm.runtime import ChatModel, build_chat_model
from rrag.settings import LLMSettings, OllamaSettings, Settings
from tests.conftest import make_settings
from tests.llm.ollama_standin import OllamaStandIn, running


def settings_for_ollama(tmp_path: Path, base_url: str, **ollama: Any) -> Settings:
    """Settings with ``LLM_PROVIDER=ollama`` at ``base_url``; ``ollama`` overrides OLLAMA_*."""
    config = {"base_url": base_url, "model": "llama3.1:8b", "timeout_s": 5.0, **ollama}
    return make_settings(tmp_path).model_copy(
        update={"llm": LLMSettings(provider="ollama"), "ollama": OllamaSettings(**config)}
    )


def settings_for_openai(
    tmp_path: Path, base_url: str, *, max_concurrency: int = 2, **llm: Any
) -> Settings:
    """Settings with ``LLM_PROVIDER=openai`` at ``base_url``; ``llm`` overrides LLM_*."""
    config = {"provider": "openai", "base_url": base_url, "timeout_s": 60.0, **llm}
    return make_settings(tmp_path).model_copy(
        update={
            "llm": LLMSettings(**config),
            "ollama": OllamaSettings(max_concurrency=max_concurrency),
        }
    )


@pytest.fixture
def chat_model() -> Iterator[Callable[[Settings], ChatModel]]:
    """Builds ChatModels through ``build_chat_model`` and closes them after the test."""
    built: list[ChatModel] = []

    def build(settings: Settings) -> ChatModel:
        model = build_chat_model(settings)
        assert model is not None, "LLM_PROVIDER=none builds no model"
        built.append(model)
        return model

    yield build
    for model in built:
        model.close()


@pytest.fixture
def ollama_standin() -> Iterator[OllamaStandIn]:
    """A running Ollama stand-in with ``llama3.1:8b`` pulled; tweak its knobs per test."""
    with running(OllamaStandIn()) as standin:
        yield standin
