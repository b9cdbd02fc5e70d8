"""Guardrail events: what a guardrail caught, recorded in the ``guardrail_events`` table.

Four kinds exist (:data:`KINDS`); ``/healthz`` reports a counter per kind. Only code that
really detects something records an event (today: the extractive answerer flags retrieved
text that reads like an injected instruction); a kind nobody detects yet stays at zero.
The table is created by the ``V_GUARDRAILS`` migration in :mod:`rrag.store.migrations`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import text

from rrag.errors import InputError
from rrag.store.db import Store

Kind = Literal["prompt_injection", "ungrounded_claim", "schema_violation", "unsafe_content"]
KINDS: tuple[str, ...] = (
    "prompt_injection",
    "ungrounded_claim",
    "schema_violation",
    "unsafe_content",
)


def record_event(store: Store, kind: str, source: str, detail: dict[str, Any]) -> None:
    """Append one event; ``source`` names where it was seen (e.g. ``issue:12``)."""
    if kind not in KINDS:
        raise InputError(f"guardrail kind must be one of {', '.join(KINDS)}, got {kind!r}")
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
    with store.write() as session:
        session.execute(
            text(
                "INSERT INTO guardrail_events(kind, created_at, source, detail) "
                "VALUES (:kind, :at, :source, :detail)"
            ),
            {
                "kind": kind,
                "at": stamp,
                "source": source[:200],
                "detail": json.dumps(detail, default=str)[:2000],
            },
        )


def count_events(store: Store) -> dict[str, int]:
    """How many events of each kind were recorded (every kind present, zero included)."""
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT kind, COUNT(*) FROM guardrail_events GROUP BY kind")).all()
    found = {str(kind): int(n) for kind, n in rows}
    return {kind: found.get(kind, 0) for kind in KINDS}


__all__ = ["KINDS", "Kind", "count_events", "record_event"]
