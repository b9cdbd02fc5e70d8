"""Bearer-token authentication: the ``RRAG_API_TOKENS`` format, the guard, bind policy.

``RRAG_API_TOKENS`` is a comma-separated list of entries, each a token optionally
followed by ``:``-separated options::

    RRAG_API_TOKENS="ops-token-0001:admin,app-token-0002:projects=1|2,rw-token-0003:private"

* ``TOKEN`` alone: the public projects, no private issues or notes;
* ``:projects=1|2``: exactly those projects (public or not);
* ``:private``: private issues and private notes are visible too, within the token's
  projects (the public ones, or those of ``projects=``);
* ``:admin``: an unscoped administrator: every project, private content included. Only
  an admin token may start a sync of every project or see such a job. It cannot be
  combined with ``projects=``.

What a token may sync and which jobs it sees is decided in :mod:`rrag.api.scope`.
Tokens are at least 16 characters of ``A-Z a-z 0-9 . _ ~ + / = -``. Only their SHA-256
digests are kept in memory. With tokens set, every route but ``/healthz`` and ``/schema``
needs ``Authorization: Bearer TOKEN``. Without tokens (an empty value, or one of only
commas and blanks), production refuses to start and development serves unauthenticated,
as an admin, on loopback only (:func:`check_bind`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler

from rrag.errors import ConfigError
from rrag.settings import Settings
from rrag.sync.policy import is_loopback_host

PUBLIC_PATHS = frozenset({"/healthz"})
SCHEMA_PATH = "/schema"
MIN_TOKEN_LEN = 16
_TOKEN_RX = re.compile(r"^[A-Za-z0-9._~+/=-]+$")
_PLACEHOLDERS = ("changeme", "change-me", "your-token", "your-api", "example", "xxxxxxxx")


@dataclass(frozen=True)
class Principal:
    """Who is calling: ``name`` is safe to log (never the token).

    Attributes:
        name: ``token#N`` (the entry's position) or ``anonymous-dev``.
        project_ids: the projects of ``projects=``; ``None`` means unscoped (every
            public project, or every project for an admin).
        see_private: whether private issues and private notes are visible.
        is_admin: an unscoped administrator (``:admin``, or development without tokens).
    """

    name: str
    project_ids: frozenset[int] | None
    see_private: bool
    is_admin: bool = False


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _parse_option(option: str, where: str) -> tuple[str, Any]:
    if option in ("private", "admin"):
        return option, True
    if option.startswith("projects="):
        parts = option.removeprefix("projects=").split("|")
        if not parts or not all(p.isdigit() and 0 < int(p) < 2**31 for p in parts):
            raise ConfigError(
                f"invalid RRAG_API_TOKENS {where}: projects= takes positive ids separated by |"
            )
        return "projects", frozenset(int(p) for p in parts)
    raise ConfigError(
        f"invalid RRAG_API_TOKENS {where}: unknown option {option[:20]!r} "
        "(accepted: projects=1|2, private, admin)"
    )


def _parse_entry(entry: str, number: int) -> tuple[str, Principal]:
    where = f"entry {number}"
    token, *options = entry.split(":")
    if len(token) < MIN_TOKEN_LEN or not _TOKEN_RX.match(token):
        raise ConfigError(
            f"invalid RRAG_API_TOKENS {where}: a token needs at least "
            f"{MIN_TOKEN_LEN} characters of A-Z a-z 0-9 . _ ~ + / = -"
        )
    if any(p in token.lower() for p in _PLACEHOLDERS):
        raise ConfigError(f"invalid RRAG_API_TOKENS {where}: the token is a placeholder")
    parsed = dict(_parse_option(o.strip(), where) for o in options if o.strip())
    admin = bool(parsed.get("admin", False))
    if admin and "projects" in parsed:
        raise ConfigError(
            f"invalid RRAG_API_TOKENS {where}: admin is unscoped and cannot be "
            "combined with projects="
        )
    see_private = admin or bool(parsed.get("private", False))
    return token, Principal(f"token#{number}", parsed.get("projects"), see_private, admin)


PrincipalDep = NamedDependency[Principal]


class TokenTable:
    """SHA-256 digest → principal; empty when no tokens are configured."""

    def __init__(self, principals: dict[str, Principal]) -> None:
        self._principals = principals

    @classmethod
    def parse(cls, raw: str) -> tuple[TokenTable, list[str]]:
        """Parse ``RRAG_API_TOKENS``; returns the table and the bare tokens (to redact)."""
        entries = [e.strip() for e in raw.split(",") if e.strip()]
        parsed = [_parse_entry(e, n) for n, e in enumerate(entries, start=1)]
        table = {_token_hash(token): principal for token, principal in parsed}
        if len(table) != len(parsed):
            raise ConfigError("invalid RRAG_API_TOKENS: the same token appears twice")
        return cls(table), [token for token, _ in parsed]

    def __len__(self) -> int:
        return len(self._principals)

    def lookup(self, token: str) -> Principal | None:
        return self._principals.get(_token_hash(token))


@dataclass(frozen=True)
class Auth:
    """The service's auth mode: a token table, or open (development on loopback)."""

    tokens: TokenTable
    open_principal: Principal

    @property
    def enabled(self) -> bool:
        return len(self.tokens) > 0

    def authenticate(self, header: str | None) -> Principal:
        if not self.enabled:
            return self.open_principal
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorizedException(
                "a bearer token is required (Authorization: Bearer TOKEN)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        principal = self.tokens.lookup(token.strip())
        if principal is None:
            raise NotAuthorizedException(
                "the bearer token is not valid", headers={"WWW-Authenticate": "Bearer"}
            )
        return principal


def build_auth(settings: Settings) -> tuple[Auth, list[str]]:
    """The auth mode for ``settings``; production without tokens is a ConfigError."""
    tokens, raw = TokenTable.parse(settings.api.tokens.get_secret_value())
    if not len(tokens) and settings.is_production:
        raise ConfigError("RRAG_API_TOKENS must be set when APP_ENV=production")
    # development without tokens is the operator on loopback, like the CLI: unscoped
    open_principal = Principal("anonymous-dev", None, settings.store.index_private, True)
    return Auth(tokens, open_principal), raw


def check_bind(settings: Settings, host: str) -> None:
    """Refuse to serve without tokens anywhere but loopback (and never in production).

    The decision is made on the parsed token table, so a value of only commas or blanks
    (``RRAG_API_TOKENS=","``) counts as no tokens at all.
    """
    auth, _raw = build_auth(settings)  # production without tokens fails here
    if not auth.enabled and not is_loopback_host(host):
        raise ConfigError(
            f"refusing to bind {host} without RRAG_API_TOKENS: an "
            "unauthenticated service may only listen on loopback (127.0.0.1)"
        )


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path == SCHEMA_PATH or path.startswith(SCHEMA_PATH + "/")


def require_principal(
    connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
) -> None:
    """App-wide guard: every route but the public ones resolves a principal or gets 401."""
    if is_public(connection.scope["path"]):
        return
    auth: Auth = connection.app.state.services.auth
    connection.state.principal = auth.authenticate(connection.headers.get("authorization"))


def allowed_projects(principal: Principal, requested: list[int] | None) -> list[int] | None:
    """The project ids a search or ask may touch; 403 when it asks beyond ``projects=``.

    Sync routes use :mod:`rrag.api.scope` instead: they act on projects, not on results
    the retriever filters anyway.
    """
    if principal.project_ids is None:
        return requested
    if requested is None:
        return sorted(principal.project_ids)
    outside = sorted(set(requested) - principal.project_ids)
    if outside:
        raise PermissionDeniedException(
            f"this token may not access project(s) {', '.join(map(str, outside))}"
        )
    return requested


__all__ = [
    "Auth",
    "Principal",
    "PrincipalDep",
    "TokenTable",
    "allowed_projects",
    "build_auth",
    "check_bind",
    "is_public",
    "require_principal",
]
