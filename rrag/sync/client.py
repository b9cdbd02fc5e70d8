"""The Redmine REST client: one place for auth, paging, retries and backoff.

The client wraps an injected :class:`httpx.Client` (tests pass an
``httpx.MockTransport`` to inject faults). Authentication is the
``X-Redmine-API-Key`` header, never ``?key=`` (query strings end up in access logs).
Redirects are never followed: a 3xx is an error naming its target, so a compromised or
misconfigured server cannot bounce the key to another host.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from rrag.errors import (
    RedmineAuthError,
    RedmineHTTPError,
    RedmineNotFound,
    RedmineProtocolError,
    RedmineTransportError,
)
from rrag.logs import get_logger, log_event
from rrag.settings import RedmineSettings, Settings
from rrag.sync.policy import Resolver, redmine_transport, resolve, safe_url

RETRY_STATUSES = frozenset({429, 502, 503, 504})
PAGE_LIMIT = 100  # Redmine caps ``limit`` at 100
MAX_RETRY_AFTER_S = 300.0  # honour Retry-After, but never sleep for longer than this
ISSUE_INCLUDES = "journals,attachments,relations,children"

log = get_logger("sync.client")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class RedmineClient:
    """Typed access to the Redmine endpoints a sync needs."""

    def __init__(
        self,
        http: httpx.Client,
        settings: RedmineSettings,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http
        self.settings = settings
        self._sleep = sleep
        self.requests = 0

    # -- transport ---------------------------------------------------------------------
    def get_json(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """GET ``path`` and decode the JSON object, retrying transient faults."""
        attempts = self.settings.max_retries + 1
        for attempt in range(attempts):
            wait = self._attempt(path, params, last=attempt == attempts - 1)
            if isinstance(wait, dict):
                return wait
            delay = self._backoff(attempt) if wait is None else min(wait, MAX_RETRY_AFTER_S)
            log_event(log, "redmine_retry", path=path, attempt=attempt + 1, delay_s=round(delay, 3))
            self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, path: str, params: dict[str, Any] | None, last: bool) -> Any:
        """One request: the decoded body, or a delay hint (None = use backoff) to retry."""
        self.requests += 1
        try:
            response = self.http.get(path, params=params)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            if last:
                url = self._url(path)
                raise RedmineTransportError(
                    f"Redmine unreachable at {url}: {type(exc).__name__}", url=url
                ) from None
            return None
        if response.status_code in RETRY_STATUSES and not last:
            return _retry_after(response)
        if response.status_code == 200:
            with contextlib.suppress(ValueError):
                body = response.json()
                if isinstance(body, dict):
                    return body  # the hot path: no URL formatting per request
        return self._decode(response, self._url(path))

    def _url(self, path: str) -> str:
        """The request's URL for messages: no query string (never a credential in it)."""
        return safe_url(str(self.http.base_url.join(path)))

    def _decode(self, response: httpx.Response, url: str) -> dict[str, Any]:
        status = response.status_code
        if 300 <= status < 400:
            target = safe_url(response.headers.get("Location", "?"))
            raise RedmineProtocolError(
                f"Redmine answered {status} redirecting to {target}; redirects are not followed",
                url=url,
                status=status,
                location=target,
            )
        if status in (401, 403):
            raise RedmineAuthError(
                f"Redmine refused the API key ({status}) for {url}", url=url, status=status
            )
        if status == 404:
            raise RedmineNotFound(f"not found (404): {url}", url=url, status=status)
        if status >= 400:
            raise RedmineHTTPError(f"Redmine answered {status} for {url}", url=url, status=status)
        try:
            body = response.json()
        except ValueError:
            raise RedmineProtocolError(f"malformed JSON from {url}", url=url) from None
        if not isinstance(body, dict):
            raise RedmineProtocolError(f"expected a JSON object from {url}", url=url)
        return body

    def _backoff(self, attempt: int) -> float:
        # Full jitter (AWS architecture blog): spreads retries of concurrent workers.
        ceiling = min(self.settings.backoff_max_s, self.settings.backoff_base_s * 2**attempt)
        return random.uniform(0, ceiling)

    # -- paging ------------------------------------------------------------------------
    def iter_pages(
        self, path: str, key: str, params: dict[str, Any] | None = None
    ) -> Iterator[tuple[list[dict[str, Any]], int]]:
        """Yield ``(items, total_count)`` page by page, reading limit/total back each time."""
        offset = 0
        while True:
            page = self.get_json(path, {**(params or {}), "offset": offset, "limit": PAGE_LIMIT})
            items = page.get(key)
            if not isinstance(items, list):
                raise RedmineProtocolError(f"missing '{key}' list in {path}", url=path)
            total = int(page.get("total_count", len(items)))
            limit = int(page.get("limit", PAGE_LIMIT)) or PAGE_LIMIT
            yield items, total
            offset = int(page.get("offset", offset)) + limit
            if not items or offset >= total:
                return

    # -- endpoints ---------------------------------------------------------------------
    def projects(self) -> list[dict[str, Any]]:
        return [p for items, _ in self.iter_pages("/projects.json", "projects") for p in items]

    def trackers(self) -> list[dict[str, Any]]:
        return list(self.get_json("/trackers.json").get("trackers", []))

    def statuses(self) -> list[dict[str, Any]]:
        return list(self.get_json("/issue_statuses.json").get("issue_statuses", []))

    def issue_pages(
        self, project_id: int, updated_since: str | None = None
    ) -> Iterator[tuple[list[dict[str, Any]], int]]:
        """All issues of one project (not its subprojects), open and closed, oldest first."""
        params: dict[str, Any] = {
            "project_id": project_id,
            "subproject_id": "!*",
            "status_id": "*",
            "sort": "updated_on,id",
        }
        if updated_since:
            params["updated_on"] = f">={updated_since}"
        return self.iter_pages("/issues.json", "issues", params)

    def issue(self, issue_id: int) -> dict[str, Any]:
        body = self.get_json(f"/issues/{issue_id}.json", {"include": ISSUE_INCLUDES})
        issue = body.get("issue")
        if not isinstance(issue, dict):
            raise RedmineProtocolError(f"missing 'issue' in /issues/{issue_id}.json")
        return issue

    def wiki_index(self, project_id: int) -> list[dict[str, Any]]:
        return list(self.get_json(f"/projects/{project_id}/wiki/index.json").get("wiki_pages", []))

    def wiki_page(self, project_id: int, title: str) -> dict[str, Any]:
        path = f"/projects/{project_id}/wiki/{httpx.URL(title).raw_path.decode()}.json"
        page = self.get_json(path).get("wiki_page")
        if not isinstance(page, dict):
            raise RedmineProtocolError(f"missing 'wiki_page' in {path}")
        return page


def build_http(
    settings: Settings,
    transport: httpx.BaseTransport | None = None,
    resolver: Resolver = resolve,
) -> httpx.Client:
    """An httpx client for Redmine after the outbound policy has approved the base URL.

    Every request then goes through the guarded transport: checked again, and sent to
    the address that was checked (``transport``, when given, is the inner one: tests pass
    an ``httpx.MockTransport``).
    """
    rs = settings.redmine
    guarded = redmine_transport(settings, transport, resolver)
    guarded.check(rs.base_url)  # refuse before any request, and pin the checked answer
    return httpx.Client(
        base_url=rs.base_url.rstrip("/"),
        headers={"X-Redmine-API-Key": rs.api_key.get_secret_value(), "Accept": "application/json"},
        timeout=httpx.Timeout(rs.http_timeout_s, connect=min(10.0, rs.http_timeout_s)),
        follow_redirects=False,
        transport=guarded,
    )


def build_client(
    settings: Settings,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> RedmineClient:
    return RedmineClient(build_http(settings, transport), settings.redmine, sleep=sleep)


__all__ = ["ISSUE_INCLUDES", "PAGE_LIMIT", "RedmineClient", "build_client", "build_http"]
