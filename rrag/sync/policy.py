"""Outbound policy: which URLs rrag may talk to (Redmine and the LLM runtime), per request.

Rules, checked for every request rrag sends (not only once for the base URL):

* ``http`` or ``https`` with a host, and no user-info (``user:password@host``): a
  credential belongs in its key setting (``REDMINE_API_KEY``, ``LLM_API_KEY``), never in
  a URL that ends up in chunk URLs, messages and third-party log lines;
* Redmine: the host must be in ``REDMINE_ALLOWED_HOSTS`` when that list is set, and the
  list must be set when ``APP_ENV=production``;
* the LLM runtime (``OLLAMA_BASE_URL``, ``LLM_BASE_URL``): the host must be loopback or
  listed in ``LLM_ALLOWED_HOSTS``, in every environment (every issue text goes there);
* HTTPS is required except for loopback (``localhost``, 127.0.0.0/8, ``::1``);
* no address the host is or resolves to may be link-local (169.254.0.0/16, fe80::/10;
  cloud metadata services live there) or unspecified (``0.0.0.0``, ``::``).
  IPv4-mapped IPv6 addresses (``::ffff:169.254.169.254``) count as their IPv4 address.

The transports built here (:func:`redmine_transport`, :func:`llm_transport`) apply the
rules inside httpx to every request and pin the checked address
(:mod:`rrag.sync.pinning`), so a DNS answer that changes between check and connect (DNS
rebinding) cannot redirect a connection. Redirects are never followed (see
:mod:`rrag.sync.client`).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlsplit

import httpx

from rrag.errors import OutboundPolicyError
from rrag.sync.pinning import GuardedTransport

if TYPE_CHECKING:
    from rrag.settings import Settings

Resolver = Callable[[str], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def resolve(host: str) -> list[str]:
    """Every address ``host`` resolves to (empty when it does not resolve)."""
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in infos})


def ip_of(host: str) -> IPAddress | None:
    """``host`` as an IP address (brackets and zone id dropped, IPv4-mapped unwrapped)."""
    try:
        address = ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    address = ip_of(host)
    return address is not None and address.is_loopback


def _forbidden(address: str) -> str | None:
    """Why rrag never connects to ``address`` (None: it may)."""
    ip = ip_of(address)
    if ip is None:
        return None
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_unspecified:
        return "the unspecified address"
    return None


@dataclass(frozen=True)
class Policy:
    """One target's rules; :meth:`vet` applies them to a URL."""

    allowed_hosts: frozenset[str]
    production: bool
    url_setting: str
    hosts_setting: str
    key_setting: str
    loopback_or_listed: bool = False  # the LLM rule: loopback or allow-listed, always
    resolver: Resolver = field(default=resolve, compare=False)

    def vet(self, url: str) -> tuple[str, list[str]]:
        """``(host, checked addresses)`` when ``url`` is allowed; OutboundPolicyError if not.

        The addresses are the literal itself, or every address the name resolved to (empty
        when it does not resolve: the connection then fails on its own).
        """
        host = self._host(url)
        literal = ip_of(host)
        if literal is not None:  # a forbidden literal is named as such, before other rules
            self._check_addresses(host, [str(literal)], url)
        self._check_listed(host, url)
        if urlsplit(url).scheme != "https" and not is_loopback_host(host):
            self._refuse(f"HTTPS is required for non-local host {host} ({self.url_setting})", url)
        addresses = [str(literal)] if literal is not None else self.resolver(host)
        self._check_addresses(host, addresses, url)
        return host, addresses

    def answering(self, addresses: list[str]) -> Policy:
        """This policy with a fixed DNS answer (a pinned one) instead of its resolver."""
        return replace(self, resolver=lambda _host: list(addresses))

    def _check_addresses(self, host: str, addresses: list[str], url: str) -> None:
        for address in addresses:
            reason = _forbidden(address)
            if reason:
                self._refuse(f"{self.url_setting} host {host} resolves to {reason}", url)

    def _host(self, url: str) -> str:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in {"http", "https"} or not host:
            self._refuse(f"{self.url_setting} is not an http(s) URL with a host", url)
        if "@" in parts.netloc:
            self._refuse(
                f"{self.url_setting} must not carry user-info (user:password@host); "
                f"put the credential in {self.key_setting}",
                url,
            )
        return host

    def _check_listed(self, host: str, url: str) -> None:
        listed = host in self.allowed_hosts
        if self.loopback_or_listed:
            if not (listed or is_loopback_host(host)):
                self._refuse(
                    f"{self.url_setting} host {host} is neither loopback nor in "
                    f"{self.hosts_setting}",
                    url,
                )
            return
        if self.production and not self.allowed_hosts:
            self._refuse(
                f"{self.hosts_setting} must be set when APP_ENV=production "
                f"(it lists the {self.url_setting} host)",
                url,
            )
        if self.allowed_hosts and not listed:
            self._refuse(f"{self.url_setting} host {host} is not in {self.hosts_setting}", url)

    def _refuse(self, message: str, url: str) -> NoReturn:
        host = urlsplit(url).hostname
        raise OutboundPolicyError(message, url=safe_url(url), host=host, setting=self.url_setting)


def _hosts(values: Iterable[str]) -> frozenset[str]:
    return frozenset(h.strip().strip("[]").lower() for h in values if h.strip())


def redmine_policy(
    allowed_hosts: Iterable[str],
    production: bool,
    resolver: Resolver = resolve,
    *,
    url_setting: str = "REDMINE_BASE_URL",
    hosts_setting: str = "REDMINE_ALLOWED_HOSTS",
) -> Policy:
    """The Redmine rule: the allowlist when set, required in production."""
    hosts = _hosts(allowed_hosts)
    return Policy(hosts, production, url_setting, hosts_setting, "REDMINE_API_KEY", False, resolver)


def llm_policy(
    allowed_hosts: Iterable[str], url_setting: str, resolver: Resolver = resolve
) -> Policy:
    """The LLM rule: loopback or listed in ``LLM_ALLOWED_HOSTS``, in every environment."""
    hosts = _hosts(allowed_hosts)
    return Policy(hosts, False, url_setting, "LLM_ALLOWED_HOSTS", "LLM_API_KEY", True, resolver)


def check_url(
    url: str,
    allowed_hosts: Iterable[str],
    production: bool,
    resolver: Resolver = resolve,
    *,
    url_setting: str = "REDMINE_BASE_URL",
    hosts_setting: str = "REDMINE_ALLOWED_HOSTS",
) -> str:
    """Return the URL's host when the Redmine policy allows ``url``; raise OutboundPolicyError.

    Every message names ``url_setting`` and, where the allowlist is involved,
    ``hosts_setting``.
    """
    policy = redmine_policy(
        allowed_hosts, production, resolver, url_setting=url_setting, hosts_setting=hosts_setting
    )
    return policy.vet(url)[0]


def check_llm_url(
    settings: Settings, url: str, url_setting: str, resolver: Resolver = resolve
) -> str:
    """Return the host when the LLM policy allows ``url`` (``url_setting`` names it).

    Raises:
        OutboundPolicyError: naming ``url_setting`` and, for a host that is neither
            loopback nor listed, ``LLM_ALLOWED_HOSTS``.
    """
    return llm_policy(settings.llm.allowed_hosts, url_setting, resolver).vet(url)[0]


def guarded_transport(
    allowed_hosts: Iterable[str],
    production: bool,
    *,
    hosts_setting: str = "REDMINE_ALLOWED_HOSTS",
    url_setting: str = "REDMINE_BASE_URL",
    inner: httpx.BaseTransport | None = None,
    resolver: Resolver = resolve,
) -> GuardedTransport:
    """A transport enforcing the Redmine-style policy (allowlist) on every request."""
    policy = redmine_policy(
        allowed_hosts, production, resolver, url_setting=url_setting, hosts_setting=hosts_setting
    )
    return GuardedTransport(policy, inner)


def redmine_transport(
    settings: Settings, inner: httpx.BaseTransport | None = None, resolver: Resolver = resolve
) -> GuardedTransport:
    """The guarded transport for ``REDMINE_BASE_URL`` (pooled for the sync's concurrency)."""
    rs = settings.redmine
    if inner is None:
        inner = httpx.HTTPTransport(limits=httpx.Limits(max_connections=rs.max_concurrency + 2))
    policy = redmine_policy(rs.allowed_hosts, settings.is_production, resolver)
    return GuardedTransport(policy, inner)


def llm_transport(
    settings: Settings,
    url_setting: str,
    inner: httpx.BaseTransport | None = None,
    resolver: Resolver = resolve,
) -> GuardedTransport:
    """The guarded transport for an LLM URL setting (``OLLAMA_BASE_URL``, ``LLM_BASE_URL``)."""
    return GuardedTransport(llm_policy(settings.llm.allowed_hosts, url_setting, resolver), inner)


def safe_url(url: str) -> str:
    """The URL without userinfo or query (either could carry a credential)."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port:
        netloc = f"{netloc}:{port}"
    return f"{parts.scheme}://{netloc}{parts.path}"


__all__ = [
    "GuardedTransport",
    "Policy",
    "check_llm_url",
    "check_url",
    "guarded_transport",
    "ip_of",
    "is_loopback_host",
    "llm_policy",
    "llm_transport",
    "redmine_policy",
    "redmine_transport",
    "resolve",
    "safe_url",
]
