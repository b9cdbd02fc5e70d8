"""Outbound policy: which Redmine URLs rrag may talk to.

Checked before any request is sent:

* the host must be in ``REDMINE_ALLOWED_HOSTS`` when that list is set, and the list must
  be set when ``APP_ENV=production``;
* HTTPS is required except for loopback (``localhost``, 127.0.0.0/8, ``::1``);
* a host that resolves to a link-local address (169.254.0.0/16, fe80::/10; cloud
  metadata services live there) is refused.

Redirects are never followed (see :mod:`rrag.sync.client`).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from rrag.errors import OutboundPolicyError

Resolver = Callable[[str], list[str]]


def resolve(host: str) -> list[str]:
    """Every address ``host`` resolves to (empty when it does not resolve)."""
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in infos})


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_link_local(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_link_local
    except ValueError:
        return False


def check_url(
    url: str,
    allowed_hosts: Iterable[str],
    production: bool,
    resolver: Resolver = resolve,
) -> str:
    """Return the URL's host when policy allows ``url``; raise OutboundPolicyError otherwise."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in {"http", "https"} or not host:
        raise OutboundPolicyError(f"not an http(s) URL with a host: {_safe(url)}", url=_safe(url))
    allowed = {h.strip().lower() for h in allowed_hosts if h.strip()}
    if production and not allowed:
        raise OutboundPolicyError(
            "REDMINE_ALLOWED_HOSTS must be set when APP_ENV=production", url=_safe(url)
        )
    if allowed and host not in allowed:
        raise OutboundPolicyError(
            f"host {host} is not in REDMINE_ALLOWED_HOSTS", url=_safe(url), host=host
        )
    if parts.scheme != "https" and not is_loopback_host(host):
        raise OutboundPolicyError(
            f"HTTPS is required for non-local host {host}", url=_safe(url), host=host
        )
    if any(_is_link_local(a) for a in [host, *resolver(host)]):
        raise OutboundPolicyError(
            f"host {host} resolves to a link-local address", url=_safe(url), host=host
        )
    return host


def _safe(url: str) -> str:
    """The URL without userinfo or query (either could carry a credential)."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return f"{parts.scheme}://{netloc}{parts.path}"


safe_url = _safe

__all__ = ["check_url", "is_loopback_host", "resolve", "safe_url"]
