"""Changes injected into the real Redmine between soak iterations (REST, like a user).

Cycles through three kinds of change in one project: create an issue, edit the subject
of an issue created earlier, add a note to it. Only issues this module created are
touched, so seeded data stays as it was. Returns counts so the soak can tell growth the
changes explain from growth they do not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from rrag.errors import RedmineHTTPError
from rrag.settings import Settings
from rrag.sync.client import build_http

KINDS = ("create", "update", "note")


@dataclass
class Injector:
    """Makes ``per_round`` changes in ``project_id`` each time :meth:`round` is called."""

    settings: Settings
    project_id: int
    per_round: int = 3
    created: list[int] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))

    def _send(self, http: httpx.Client, method: str, path: str, body: dict[str, object]) -> int:
        response = http.request(method, path, json=body)
        if response.status_code >= 400:
            raise RedmineHTTPError(
                f"injecting a change failed: {method} {path} answered {response.status_code}",
                status=response.status_code,
            )
        return int(response.json()["issue"]["id"]) if response.content else 0

    def _change(self, http: httpx.Client, n: int) -> None:
        kind = KINDS[n % len(KINDS)] if self.created else "create"
        if kind == "create":
            issue = {
                "project_id": self.project_id,
                "subject": f"soak change {n}",
                "description": f"created by the rrag soak test, change {n}",
            }
            self.created.append(self._send(http, "POST", "/issues.json", {"issue": issue}))
        elif kind == "update":
            target = self.created[n % len(self.created)]
            self._send(
                http,
                "PUT",
                f"/issues/{target}.json",
                {"issue": {"subject": f"soak change {n} (edited)"}},
            )
        else:
            target = self.created[n % len(self.created)]
            self._send(
                http, "PUT", f"/issues/{target}.json", {"issue": {"notes": f"soak note {n}"}}
            )
        self.counts[kind] += 1

    def round(self) -> dict[str, int]:
        """Make this round's changes; returns the running totals per kind."""
        start = sum(self.counts.values())
        with build_http(self.settings) as http:
            for n in range(start, start + self.per_round):
                self._change(http, n)
        return dict(self.counts)


__all__ = ["KINDS", "Injector"]
