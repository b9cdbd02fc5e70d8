"""Is the Ollama runtime up, and is the configured model pulled? (for ``/healthz``)

Speaks Ollama's HTTP API: ``GET /api/version`` (reachable) and ``GET /api/tags`` (the
models present locally). Every request has a short explicit timeout so a hung runtime
cannot stall a health check.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from rrag.settings import Settings


def _model_names(tags: Any) -> set[str]:
    models = tags.get("models", []) if isinstance(tags, dict) else []
    names = {str(m.get("name") or m.get("model") or "") for m in models if isinstance(m, dict)}
    return names | {n.removesuffix(":latest") for n in names}


def probe_ollama(
    settings: Settings, timeout_s: float = 0.5, transport: httpx.BaseTransport | None = None
) -> dict[str, Any]:
    """``{"status", "provider", "reachable", "model", "model_ready", "latency_ms", ...}``."""
    model = settings.ollama.model
    result: dict[str, Any] = {
        "provider": "ollama",
        "model": model,
        "reachable": False,
        "model_ready": False,
    }
    started = time.perf_counter()
    try:
        with httpx.Client(
            base_url=settings.ollama.base_url,
            timeout=timeout_s,
            transport=transport,
            follow_redirects=False,
        ) as http:
            version = http.get("/api/version").raise_for_status().json()
            result["reachable"] = True
            result["version"] = str(version.get("version", "")) if isinstance(version, dict) else ""
            tags = http.get("/api/tags").raise_for_status().json()
    except (httpx.HTTPError, ValueError) as exc:
        result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
        result["status"] = "degraded"
        result["error"] = (
            f"{type(exc).__name__}: ollama at {settings.ollama.base_url} did not answer correctly"
        )
        return result
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    result["model_ready"] = model in _model_names(tags)
    result["status"] = "ok" if result["model_ready"] else "degraded"
    if not result["model_ready"]:
        result["error"] = f"model {model} is not pulled (ollama pull {model})"
    return result


def llm_runtime_check(settings: Settings, timeout_s: float = 0.5) -> dict[str, Any]:
    """The ``llm_runtime`` health check for the configured ``LLM_PROVIDER``."""
    if settings.llm.provider == "none":
        return {"status": "ok", "provider": "none", "answerer": "extractive"}
    if settings.llm.provider == "openai":
        from rrag.llm.openai_backend import probe_openai  # the openai client loads lazily

        return probe_openai(settings, timeout_s)
    return probe_ollama(settings, timeout_s)


__all__ = ["llm_runtime_check", "probe_ollama"]
