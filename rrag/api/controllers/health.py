"""``GET /healthz``: public, answers within about a second whatever hangs."""

from __future__ import annotations

from typing import Any

from litestar import Response, get

from rrag.api.health import combine
from rrag.api.services import ServicesDep

_CHECK_ORDER = ("database", "sync_jobs", "config", "index", "llm_runtime", "guardrails")


@get("/healthz", summary="Service health", tags=["health"])
async def healthz(services: ServicesDep) -> Response[dict[str, Any]]:
    """``ok``/``degraded`` answer 200; any ``fail`` answers 503."""
    found = await services.health.run(services.health_checks())
    checks = {name: found[name] for name in _CHECK_ORDER if name in found}
    status = combine(checks)
    return Response(
        {"status": status, "checks": checks}, status_code=503 if status == "fail" else 200
    )


__all__ = ["healthz"]
