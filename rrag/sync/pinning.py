"""Pinning: an httpx transport that checks every request and connects to a checked address.

A policy (:class:`rrag.sync.policy.Policy`) says which URLs may be fetched and returns
the addresses it checked. :class:`GuardedTransport` asks it for every request, then sends
the request to one of those addresses itself, so the inner transport never resolves the
host name again: a DNS answer that changes between check and connect (DNS rebinding, a
short TTL flipping to 169.254.169.254) cannot redirect the connection.

How tests see it: the inner transport is injectable; with an ``httpx.MockTransport`` the
rewritten request is visible (its URL carries the address, ``Host`` the name, and
``request.extensions["sni_hostname"]`` the name for TLS); with a real server on a
loopback address a resolver stub stands in for DNS.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable
from typing import Protocol
from urllib.parse import urlsplit

import httpx

PIN_TTL_S = 60.0  # how long a checked DNS answer is reused (a checked answer stays safe)


class Vetter(Protocol):
    """What the transport needs from a policy."""

    def vet(self, url: str) -> tuple[str, list[str]]:
        """``(host, checked addresses)``, or raise when the URL is refused."""
        ...

    def answering(self, addresses: list[str]) -> Vetter:
        """The same rules with a fixed DNS answer."""
        ...


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return False
    return True


class GuardedTransport(httpx.BaseTransport):
    """Checks every request against a policy and connects to an address it checked.

    IP literals go out unchanged. A host name is resolved once (through the policy's
    resolver), each answer is checked, and the answer is *pinned*: reused for
    ``pin_ttl_s`` (a checked answer stays safe; re-resolving per request would reopen the
    rebinding window and cost a DNS query per Redmine page). The request is rewritten to
    the first pinned address that accepts a connection, keeping its ``Host`` header and,
    for TLS, the name as ``sni_hostname`` (certificates are still checked against the
    name). The inner transport never resolves the name itself.
    """

    def __init__(
        self,
        policy: Vetter,
        inner: httpx.BaseTransport | None = None,
        *,
        pin_ttl_s: float = PIN_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self._inner = inner if inner is not None else httpx.HTTPTransport()
        self._ttl, self._clock = pin_ttl_s, clock
        self._pins: dict[str, tuple[float, list[str]]] = {}
        self._lock = threading.Lock()

    def check(self, url: str) -> tuple[str, list[str]]:
        """``(host, addresses)`` for ``url`` under the policy, pinning a fresh DNS answer.

        Raises:
            OutboundPolicyError: the URL, or an address its host resolves to, is refused.
        """
        name = (urlsplit(url).hostname or "").lower()
        now = self._clock()
        with self._lock:
            pinned = self._pins.get(name)
        if pinned is not None and pinned[0] > now:
            return self.policy.answering(pinned[1]).vet(url)
        host, addresses = self.policy.vet(url)
        if addresses and not _is_ip(host):
            with self._lock:
                self._pins[host] = (now + self._ttl, addresses)
        return host, addresses

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host, addresses = self.check(str(request.url))
        if _is_ip(host):
            return self._inner.handle_request(request)
        if not addresses:
            raise httpx.ConnectError(f"{host} does not resolve", request=request)
        error: httpx.ConnectError | None = None
        for address in addresses:  # connect errors only: nothing was sent yet
            try:
                return self._inner.handle_request(_pinned(request, host, address))
            except httpx.ConnectError as exc:
                error = exc
        assert error is not None
        raise error

    def close(self) -> None:
        self._inner.close()


def _pinned(request: httpx.Request, host: str, address: str) -> httpx.Request:
    """``request`` sent to ``address``: same headers (``Host``), same body, TLS name kept."""
    return httpx.Request(
        request.method,
        request.url.copy_with(host=address),
        headers=request.headers,
        stream=request.stream,
        extensions={**request.extensions, "sni_hostname": host},
    )


__all__ = ["PIN_TTL_S", "GuardedTransport", "Vetter"]
