"""The LLM outbound policy: loopback or LLM_ALLOWED_HOSTS, HTTPS off loopback, no
link-local, no credentials in URLs, applied to the probe and the ollama embedder."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from rrag.errors import OutboundPolicyError
from rrag.index.embedders import OllamaEmbedder, make_embedder
from rrag.llm import probe_ollama
from rrag.settings import EmbeddingSettings, LLMSettings, OllamaSettings, Settings
from rrag.sync.policy import check_llm_url, llm_transport
from tests.conftest import make_settings


def llm_settings(tmp_path: Path, ollama_url: str, allowed: list[str] | None = None) -> Settings:
    return make_settings(tmp_path).model_copy(
        update={
            "llm": LLMSettings(provider="ollama", allowed_hosts=allowed or []),
            "ollama": OllamaSettings(base_url=ollama_url),
            "embedding": EmbeddingSettings(provider="ollama", model="nomic-embed-text"),
        }
    )


class _Recording(httpx.MockTransport):
    def __init__(self) -> None:
        self.seen: list[str] = []
        super().__init__(self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(str(request.url))
        return httpx.Response(200, json={"version": "0.5.7", "models": []})


def _no_dns(host: str) -> list[str]:
    return []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:11434",
        "http://localhost:11434",
        "http://[::1]:11434",
        "http://[::ffff:127.0.0.1]:11434",
    ],
)
def test_loopback_needs_no_listing(tmp_path: Path, url: str) -> None:
    check_llm_url(llm_settings(tmp_path, url), url, "OLLAMA_BASE_URL", _no_dns)


@pytest.mark.parametrize("production", [False, True])
@pytest.mark.parametrize(
    ("url", "allowed", "named"),
    [
        ("http://169.254.169.254", [], ["OLLAMA_BASE_URL", "link-local"]),
        ("http://10.0.0.5:11434", [], ["OLLAMA_BASE_URL", "LLM_ALLOWED_HOSTS"]),
        ("http://[::ffff:169.254.169.254]", [], ["OLLAMA_BASE_URL", "link-local"]),
        ("https://gpu.example:11434", [], ["OLLAMA_BASE_URL", "LLM_ALLOWED_HOSTS"]),
        ("http://gpu.example:11434", ["gpu.example"], ["OLLAMA_BASE_URL", "HTTPS is required"]),
        ("https://169.254.169.254", ["169.254.169.254"], ["OLLAMA_BASE_URL", "link-local"]),
    ],
)
def test_refusals_name_the_settings(
    tmp_path: Path, url: str, allowed: list[str], named: list[str], production: bool
) -> None:
    settings = llm_settings(tmp_path, url, allowed).model_copy(
        update={"app_env": "production" if production else "development"}
    )
    with pytest.raises(OutboundPolicyError) as err:
        check_llm_url(settings, url, "OLLAMA_BASE_URL", _no_dns)
    for name in named:
        assert name in str(err.value)


def test_a_listed_https_host_is_allowed_unless_it_resolves_link_local(tmp_path: Path) -> None:
    url = "https://gpu.example:11434"
    settings = llm_settings(tmp_path, url, ["GPU.example"])
    assert check_llm_url(settings, url, "LLM_BASE_URL", lambda _h: ["10.0.0.9"]) == "gpu.example"
    with pytest.raises(OutboundPolicyError, match=r"LLM_BASE_URL host gpu\.example resolves to"):
        check_llm_url(settings, url, "LLM_BASE_URL", lambda _h: ["fe80::1"])


def test_the_transport_checks_every_request(tmp_path: Path) -> None:
    inner = _Recording()
    settings = llm_settings(tmp_path, "http://127.0.0.1:11434")
    with httpx.Client(transport=llm_transport(settings, "OLLAMA_BASE_URL", inner)) as http:
        http.get("http://127.0.0.1:11434/api/version")
        with pytest.raises(OutboundPolicyError, match="OLLAMA_BASE_URL"):
            http.get("http://169.254.169.254/latest/meta-data/")
    assert inner.seen == ["http://127.0.0.1:11434/api/version"]


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254", "http://ollama.internal:11434", "http://[::ffff:a9fe:a9fe]"]
)
def test_the_probe_fails_on_a_refused_url_without_a_request(tmp_path: Path, url: str) -> None:
    inner = _Recording()
    result = probe_ollama(llm_settings(tmp_path, url), transport=inner)
    assert result["status"] == "fail" and not result["reachable"]
    assert "OLLAMA_BASE_URL" in result["error"]
    assert inner.seen == []


def test_probe_errors_carry_no_query_of_the_url(tmp_path: Path) -> None:
    url = "http://127.0.0.1:9/?token=tok-77aa11"  # nothing listens on port 9
    result = probe_ollama(llm_settings(tmp_path, url))
    assert result["status"] == "degraded"
    assert "tok-77aa11" not in str(result) and "127.0.0.1:9" in result["error"]


@pytest.mark.parametrize("url", ["http://169.254.169.254:11434", "http://ollama.internal:11434"])
def test_the_ollama_embedder_is_refused_at_build(tmp_path: Path, url: str) -> None:
    inner = _Recording()
    with pytest.raises(OutboundPolicyError, match="OLLAMA_BASE_URL"):
        OllamaEmbedder(url, "nomic-embed-text", 2.0, transport=inner)
    assert inner.seen == []
    with pytest.raises(OutboundPolicyError, match="OLLAMA_BASE_URL"):
        make_embedder(llm_settings(tmp_path, url))
