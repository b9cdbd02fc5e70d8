"""``create_app(settings)``: the Litestar service of rrag.

Auth is one app-wide guard (:func:`rrag.api.auth.require_principal`), so a route added
later is protected unless its path is listed public. Without tokens (development on
loopback) a second guard, :func:`rrag.api.origin.require_local_origin`, runs first and
refuses what a web page could send there (a foreign ``Host``, a non-JSON body). Errors
map to HTTP in one dict (:data:`rrag.api.errors.EXCEPTION_HANDLERS`). The OpenAPI schema
is served at ``/schema`` (JSON at ``/schema/openapi.json``).
"""

from __future__ import annotations

from typing import Any

import httpx
from litestar import Litestar, Request
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin

from rrag import __version__
from rrag.api.auth import Principal, build_auth, require_principal
from rrag.api.controllers import ROUTES
from rrag.api.errors import EXCEPTION_HANDLERS
from rrag.api.origin import require_local_origin
from rrag.api.services import Services
from rrag.logs import register_secrets
from rrag.settings import Settings


def _services(request: Request[Any, Any, Any]) -> Services:
    services: Services = request.app.state.services
    return services


def _principal(request: Request[Any, Any, Any]) -> Principal:
    principal: Principal = request.state.principal
    return principal


def create_app(
    settings: Settings, redmine_transport: httpx.BaseTransport | None = None
) -> Litestar:
    """The app for ``settings``; ConfigError when auth or the search glossary is misconfigured.

    ``redmine_transport`` replaces the network under the Redmine client (tests inject
    faults there); production leaves it None.
    """
    auth, raw_tokens = build_auth(settings)
    register_secrets(*raw_tokens, *settings.secrets())
    # a bad RETRIEVAL_GLOSSARY refuses to start rather than failing the first search
    from rrag.retrieval.glossary import load as load_glossary

    load_glossary(settings.retrieval.glossary)
    services = Services(settings, auth, redmine_transport)
    origin_guards = [] if auth.enabled else [require_local_origin]
    return Litestar(
        route_handlers=ROUTES,
        guards=[*origin_guards, require_principal],
        dependencies={
            "services": Provide(_services, sync_to_thread=False),
            "principal": Provide(_principal, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[services.lifespan],
        state=State({"services": services}),
        request_max_body_size=settings.api.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="rrag", version=__version__, path="/schema", render_plugins=[JsonRenderPlugin()]
        ),
        debug=False,
    )


__all__ = ["create_app"]
