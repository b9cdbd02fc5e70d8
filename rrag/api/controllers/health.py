"""``GET /healthz``: public, answers within about a second whatever hangs.

Anyone gets a status per check (:func:`rrag.api.checks.public_view`); ``?detail=1`` with a
valid token (or in development without tokens) gets every field
(:func:`rrag.api.checks.detail_view`). The route is listed public in
:mod:`rrag.api.auth`, so the token is checked here, and only when detail is asked for.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.params import Parameter

from rrag.api.checks import combine, detail_view, public_view
from rrag.api.schemas import Health
from rrag.api.services import ServicesDep

_CHECK_ORDER = ("database", "sync_jobs", "config", "index", "llm_runtime", "guardrails")

DetailParam = Annotated[
    bool,
    Parameter(
        description="every field of every check (needs a valid bearer token when tokens "
        "are configured; 401 otherwise)"
    ),
]


@get("/healthz", summary="Service health", tags=["health"])
async def healthz(
    request: Request[Any, Any, Any], services: ServicesDep, detail: DetailParam = False
) -> Response[Health]:
    """``ok``/``degraded`` answer 200; any ``fail`` answers 503."""
    if detail:
        # asking for detail without a valid token is a 401, not a silent short answer
        services.auth.authenticate(request.headers.get("authorization"))
    found = await services.health.run(services.health_checks())
    checks = {name: found[name] for name in _CHECK_ORDER if name in found}
    body = detail_view(checks) if detail else public_view(checks)
    return Response(body, status_code=503 if combine(checks) == "fail" else 200)


__all__ = ["healthz"]
