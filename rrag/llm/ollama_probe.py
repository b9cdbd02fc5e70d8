"""Is the Ollama runtime up, and is the configured model pulled? (for ``/healthz``)

Speaks Ollama's HTTP API: ``GET /api/version`` (reachable) and ``GET /api/tags`` (the
models present locally). Every request has a short explicit timeout so a hung runtime
cannot stall a health check, and goes through the LLM outbound policy
(:func:`rrag.sync.policy.llm_transport`): a refused ``OLLAMA_BASE_URL`` is a ``fail``
naming the setting, and no message carries the URL's credentials or query.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from rrag.errors import OutboundPolicyError
from rrag.settings import Settings
from rrag.sync.policy import llm_transport, safe_url


def _model_names(tags: Any) -> set[str]:
    models = tags.get("models", []) if isinstance(tags, dict) else []
    names = {str(m.get("name") or m.get("model") or "") for m in models if isinstance(m, dict)}
    return names | {n.removesuffix(":latest") for n in names}


def probe_ollama(
    settings: Settings, timeout_s: float = 0.5, transport: httpx.BaseTransport | None = None
) -> dict[str, Any]:
    """``{"status", "provider", "reachable", "model", "model_ready", "latency_ms", ...}``.

    ``transport`` replaces the network under the outbound policy (tests only).
    """
    model = settings.ollama.model
    result: dict[str, Any] = {
        "provider": "ollama",
        "model": model,
        "reachable": False,
        "model_ready": False,
    }
    try:
        guarded = llm_transport(settings, "OLLAMA_BASE_URL", transport)
        guarded.check(settings.ollama.base_url)
    except OutboundPolicyError as exc:  # a setting to fix, not a runtime to wait for
        return {**result, "status": "fail", "latency_ms": 0.0, "error": str(exc)}
    started = time.perf_counter()
    try:
        tags = _fetch(settings.ollama.base_url, guarded, timeout_s, result)
    except (httpx.HTTPError, ValueError, OutboundPolicyError) as exc:
        where = safe_url(settings.ollama.base_url)  # never the URL's credentials or query
        result["error"] = f"{type(exc).__name__}: ollama at {where} did not answer correctly"
        tags = None
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    if tags is None:
        return {**result, "status": "degraded"}
    result["model_ready"] = model in _model_names(tags)
    result["status"] = "ok" if result["model_ready"] else "degraded"
    if not result["model_ready"]:
        result["error"] = f"model {model} is not pulled (ollama pull {model})"
    return result


def _fetch(
    base_url: str, transport: httpx.BaseTransport, timeout_s: float, result: dict[str, Any]
) -> Any:
    """``/api/version`` (noting ``reachable`` and ``version`` in ``result``), then the tags."""
    with httpx.Client(
        base_url=base_url, timeout=timeout_s, transport=transport, follow_redirects=False
    ) as http:
        version = http.get("/api/version").raise_for_status().json()
        result["reachable"] = True
        result["version"] = str(version.get("version", "")) if isinstance(version, dict) else ""
        return http.get("/api/tags").raise_for_status().json()


def llm_runtime_check(settings: Settings, timeout_s: float = 0.5) -> dict[str, Any]:
    """The ``llm_runtime`` health check for the configured ``LLM_PROVIDER``."""
    if settings.llm.provider == "none":
        return {"status": "ok", "provider": "none", "answerer": "extractive"}
    if settings.llm.provider == "openai":
        from rrag.llm.openai_backend import probe_openai  # the openai client loads lazily

        return probe_openai(settings, timeout_s)
    return probe_ollama(settings, timeout_s)


__all__ = ["llm_runtime_check", "probe_ollama"]
