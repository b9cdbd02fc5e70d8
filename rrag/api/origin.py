"""Development mode's guard against web pages: loopback ``Host`` only, JSON bodies only.

Without ``RRAG_API_TOKENS`` the service answers every request and listens on loopback
only (:func:`rrag.api.auth.check_bind`). A web page open in the operator's browser can
still reach it two ways, and :func:`require_local_origin` refuses both:

* **DNS rebinding**: the page's own host name is re-resolved to 127.0.0.1, so the
  browser treats the service as same-origin and lets the page read its answers. The
  browser still sends the page's name as ``Host``, so only loopback names are accepted
  (``127.0.0.1``, ``localhost``, ``[::1]``, each with an optional port): 400 otherwise.
* **Cross-site form posts**: ``text/plain``, form-urlencoded and multipart bodies are
  "simple" requests a page may send anywhere without a CORS preflight. A JSON content
  type needs a preflight the service never grants, so state-changing methods accept only
  ``application/json`` (or ``application/*+json``): 415 otherwise.

With tokens configured the guard is not installed: a real deployment sits behind a
name, and a browser never attaches a bearer token to a cross-site request.
"""

from __future__ import annotations

import re
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException
from litestar.handlers import BaseRouteHandler

from rrag.sync.policy import is_loopback_host

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# a Host header is host[:port]; an IPv6 literal comes in brackets (RFC 9110 §7.2)
_HOST_RX = re.compile(r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[^:\[\]]+))(?::\d{1,5})?$")
_JSON_SUBTYPE_RX = re.compile(r"^application/(?:json|[a-z0-9!#$&^_.-]+\+json)$")


def is_loopback_authority(host_header: str | None) -> bool:
    """Whether a ``Host`` header names this machine's loopback (any port)."""
    match = _HOST_RX.match((host_header or "").strip())
    if match is None:
        return False
    return is_loopback_host(match["v6"] or match["name"])


def is_json_media_type(content_type: str | None) -> bool:
    """``application/json`` or ``application/*+json``, with or without parameters."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return bool(_JSON_SUBTYPE_RX.match(media_type))


def require_local_origin(
    connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
) -> None:
    """App-wide guard for the open (token-less) mode; see the module docstring."""
    if not is_loopback_authority(connection.headers.get("host")):
        raise HTTPException(
            status_code=400,
            detail="without RRAG_API_TOKENS this service answers only requests addressed "
            "to a loopback host (127.0.0.1, localhost or [::1]); the Host header is not one",
        )
    method = str(connection.scope.get("method", "")).upper()
    if method in STATE_CHANGING and not is_json_media_type(connection.headers.get("content-type")):
        raise HTTPException(
            status_code=415,
            detail=f"{method} requests need Content-Type: application/json",
        )


__all__ = ["is_json_media_type", "is_loopback_authority", "require_local_origin"]
