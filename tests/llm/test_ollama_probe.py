"""The Ollama probe against a stand-in speaking Ollama's HTTP API on loopback."""

from __future__ import annotations

import socket
from pathlib import Path

from rrag.llm import probe_ollama
from rrag.settings import LLMSettings, OllamaSettings, Settings
from tests.conftest import make_settings
from tests.llm.ollama_standin import OllamaStandIn, running


def ollama_settings(tmp_path: Path, base_url: str, model: str = "llama3.1:8b") -> Settings:
    return make_settings(tmp_path).model_copy(
        update={
            "llm": LLMSettings(provider="ollama"),
            "ollama": OllamaSettings(base_url=base_url, model=model),
        }
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_ready_model_is_ok(tmp_path: Path) -> None:
    with running(OllamaStandIn(models=["llama3.1:8b", "nomic-embed-text:latest"])) as o:
        result = probe_ollama(ollama_settings(tmp_path, o.base_url))
    assert result["status"] == "ok" and result["reachable"] and result["model_ready"]
    assert result["version"] == "0.5.7" and result["latency_ms"] >= 0


def test_latest_tag_counts_as_the_bare_name(tmp_path: Path) -> None:
    with running(OllamaStandIn(models=["qwen2.5:latest"])) as o:
        result = probe_ollama(ollama_settings(tmp_path, o.base_url, model="qwen2.5"))
    assert result["model_ready"]


def test_missing_model_is_degraded_with_the_pull_command(tmp_path: Path) -> None:
    with running(OllamaStandIn(models=["other:1b"])) as o:
        result = probe_ollama(ollama_settings(tmp_path, o.base_url))
    assert result["status"] == "degraded" and result["reachable"]
    assert not result["model_ready"] and "ollama pull llama3.1:8b" in result["error"]


def test_down_is_degraded_and_unreachable(tmp_path: Path) -> None:
    result = probe_ollama(ollama_settings(tmp_path, f"http://127.0.0.1:{free_port()}"))
    assert result["status"] == "degraded" and not result["reachable"]
    assert "ConnectError" in result["error"]


def test_slow_runtime_times_out_as_degraded(tmp_path: Path) -> None:
    with running(OllamaStandIn(delay_s=2.0)) as o:
        result = probe_ollama(ollama_settings(tmp_path, o.base_url), timeout_s=0.2)
    assert result["status"] == "degraded" and "Timeout" in result["error"]
