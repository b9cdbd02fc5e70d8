"""A tiny in-memory Redmine behind ``httpx.MockTransport``, for fault injection only.

Correctness against Redmine itself is proven on the real server (tests marked
``redmine``); this stand-in exists to produce faults a real server will not produce on
demand (429 with Retry-After, 503 bursts, timeouts, malformed JSON, redirects,
total_count changing mid-paging). ``faults`` maps a path prefix to a list of responses
or exceptions served (and consumed) before the normal answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

Fault = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeRedmine:
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)
    total_drift: int = 0  # added to total_count after the first page (mid-sync change)

    def add_issue(self, issue_id: int, project_id: int = 1, **extra: Any) -> None:
        self.issues[issue_id] = {
            "id": issue_id,
            "project": {"id": project_id, "name": "P"},
            "tracker": {"id": 1, "name": "Bug"},
            "status": {"id": 1, "name": "New"},
            "subject": f"Issue {issue_id}",
            "description": f"Body {issue_id}",
            "is_private": False,
            "created_on": "2026-01-01T00:00:00Z",
            "updated_on": f"2026-01-01T00:{issue_id % 60:02d}:00Z",
            "journals": [],
            **extra,
        }

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.seen.append(str(request.url))
        for prefix, queue in self.faults.items():
            if path.startswith(prefix) and queue:
                fault = queue.pop(0)
                if isinstance(fault, Exception):
                    raise fault
                return fault(request) if callable(fault) else fault
        return self._answer(request, path)

    def _answer(self, request: httpx.Request, path: str) -> httpx.Response:
        if path == "/projects.json":
            return _json(
                {
                    "projects": [{"id": 1, "name": "P", "identifier": "p", "is_public": True}],
                    "total_count": 1,
                    "offset": 0,
                    "limit": 100,
                }
            )
        if path == "/trackers.json":
            return _json({"trackers": [{"id": 1, "name": "Bug"}]})
        if path == "/issue_statuses.json":
            return _json(
                {
                    "issue_statuses": [
                        {"id": 1, "name": "New", "is_closed": False},
                        {"id": 5, "name": "Closed", "is_closed": True},
                    ]
                }
            )
        if path == "/issues.json":
            return self._list(request)
        if path.startswith("/issues/"):
            issue = self.issues.get(int(path.split("/")[2].split(".")[0]))
            return _json({"issue": issue}) if issue else httpx.Response(404)
        if path.endswith("/wiki/index.json"):
            return httpx.Response(404)
        return httpx.Response(404)

    def _list(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        offset, limit = int(params.get("offset", 0)), min(100, int(params.get("limit", 25)))
        rows = sorted(self.issues.values(), key=lambda i: (i["updated_on"], i["id"]))
        since = params.get("updated_on", "")
        if since.startswith(">="):
            rows = [r for r in rows if r["updated_on"] >= since[2:]]
        page = [
            {k: v for k, v in r.items() if k != "journals"} for r in rows[offset : offset + limit]
        ]
        total = len(rows) + (self.total_drift if offset else 0)
        return _json({"issues": page, "total_count": total, "offset": offset, "limit": limit})


def _json(body: Any) -> httpx.Response:
    return httpx.Response(
        200, content=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
