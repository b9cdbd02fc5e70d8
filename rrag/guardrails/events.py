"""Guardrail events: what a guardrail caught, one row per (kind, rule, source).

Four kinds exist (:data:`KINDS`); ``/healthz`` reports a counter per kind, read from the
store (so it survives restarts). Seeing the same thing again (the same flagged passage on
every ``/v1/ask`` that retrieves it) does not add an event: the row's ``seen`` count and
``last_seen_at`` move instead, so nobody can inflate a public counter by asking twice.
The rule is the detector's rule (``rule=`` or the detail's ``rule``/``pattern``); events
without one are told apart by a digest of their detail. Recording never waits on the
database: rows go to a background writer (:mod:`rrag.guardrails.writer`), so a search or
ask is not held up by a sync holding the write lock; readers in this module flush first
(for at most :data:`READ_FLUSH_S`), and closing the store writes what is queued. Every
written event is logged as JSON with ``guardrail_reason`` and ``guardrail_context``
(kind, where, a short excerpt with secrets masked). The table comes from the
``V_GUARDRAILS`` and ``V_GUARDRAIL_DEDUP`` migrations in :mod:`rrag.store.migrations`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import text
from sqlmodel import Session

from rrag.errors import InputError
from rrag.guardrails.normalize import strip_invisible
from rrag.guardrails.rules import thresholds
from rrag.guardrails.secrets import mask_secrets
from rrag.guardrails.writer import flush_events as _flush
from rrag.guardrails.writer import writer_for
from rrag.logs import get_logger, log_event
from rrag.store.db import Store

Kind = Literal["prompt_injection", "ungrounded_claim", "schema_violation", "unsafe_content"]
KINDS: tuple[str, ...] = (
    "prompt_injection",
    "ungrounded_claim",
    "schema_violation",
    "unsafe_content",
)
_log = get_logger("guardrails")
_UPSERT = text(
    "INSERT INTO guardrail_events(kind, rule, source, created_at, last_seen_at, detail, seen) "
    "VALUES (:kind, :rule, :source, :at, :at, :detail, 1) "
    "ON CONFLICT(kind, rule, source) DO UPDATE SET seen = seen + 1, "
    "last_seen_at = max(last_seen_at, excluded.last_seen_at) RETURNING seen"
)
_EXCERPT_KEYS = ("excerpt", "sentence", "reason", "field", "text")
_ISSUE_SOURCE = re.compile(r"^issue:(\d+)(?:#change-(\d+))?$")
# How long a reader waits for this process's queued events before reading the table:
# bounded well inside /healthz's 0.8 s per check, so the guardrails check still answers
# (with what is stored) while another connection holds the write lock.
READ_FLUSH_S = 0.25
DETAIL_CHARS = 2000


def _rule_of(detail: dict[str, Any], rule: str | None) -> str:
    named = rule or detail.get("rule") or detail.get("pattern")
    if named:
        return str(named)[:100]
    canonical = json.dumps(detail, sort_keys=True, default=str)
    return "detail:" + hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _excerpt(detail: dict[str, Any]) -> str:
    raw = next((str(detail[k]) for k in _EXCERPT_KEYS if detail.get(k)), "")
    return mask_secrets(raw)[0][: int(thresholds()["excerpt_chars"])]


def record_event(
    store: Store, kind: str, source: str, detail: dict[str, Any], *, rule: str | None = None
) -> None:
    """Record that ``kind`` fired at ``source`` (e.g. ``issue:12``). Returns at once: the
    row is written (and logged) by the store's background writer; readers here flush it
    first, :func:`flush_events` waits for it."""
    if kind not in KINDS:
        raise InputError(f"guardrail kind must be one of {', '.join(KINDS)}, got {kind!r}")
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
    row = {"kind": kind, "rule": _rule_of(detail, rule), "source": source[:200], "at": stamp}
    writer_for(store, _write_batch).put({**row, "raw": detail})


def _write_batch(store: Store, rows: Sequence[dict[str, Any]]) -> None:
    """Upsert ``rows`` in one transaction, then log each with its ``seen`` count."""
    seen: list[int] = []
    with store.write() as session:
        for row in rows:
            row["raw"] = _with_excerpt(session, row["source"], row["raw"])
            masked = _stored_detail(row["raw"])
            params = {k: row[k] for k in ("kind", "rule", "source", "at")}
            seen.append(int(session.execute(_UPSERT, {**params, "detail": masked}).scalar_one()))
    for row, count in zip(rows, seen, strict=True):
        _log_row(row, count)


def _with_excerpt(session: Session, source: str, detail: dict[str, Any]) -> dict[str, Any]:
    """``detail`` with an ``excerpt`` of the text at ``source`` when it names none (the
    passage's note or description: looked up here, off the read path), secrets masked
    and invisible characters dropped; centred on a masked secret when there is one."""
    if any(detail.get(k) for k in _EXCERPT_KEYS):
        return detail
    found = _ISSUE_SOURCE.match(source)
    if not found:
        return detail
    issue_id, journal_id = found.groups()
    if journal_id:
        sql, key = "SELECT notes FROM journals WHERE id = :id", int(journal_id)
    else:
        sql, key = "SELECT subject || ': ' || description FROM issues WHERE id = :id", int(issue_id)
    row = session.execute(text(sql), {"id": key}).first()
    if not row or not row[0]:
        return detail
    visible = " ".join(strip_invisible(str(row[0])).split())
    masked = mask_secrets(visible)[0]
    start = max(0, masked.find("[masked:") - 20) if "[masked:" in masked else 0
    return {**detail, "excerpt": masked[start : start + int(thresholds()["excerpt_chars"])]}


def _stored_detail(detail: dict[str, Any]) -> str:
    """The detail as stored: JSON, secrets masked, at most :data:`DETAIL_CHARS` (a long
    one keeps its rule and an excerpt, so it still parses when read back)."""
    masked = mask_secrets(json.dumps(detail, default=str))[0]
    if len(masked) <= DETAIL_CHARS:
        return masked
    short = {"rule": _rule_of(detail, None), "excerpt": _excerpt(detail), "truncated": True}
    return mask_secrets(json.dumps(short, default=str))[0][:DETAIL_CHARS]


def _log_row(row: dict[str, Any], seen: int) -> None:
    detail = row["raw"]
    reason = str(detail.get("reason") or row["rule"])[:200]
    context = {"bucket": row["kind"], "where": row["source"], "excerpt": _excerpt(detail)}
    log_event(
        _log, "guardrail_event", guardrail_reason=reason, guardrail_context=context, seen=seen
    )


def flush_events(store: Store, timeout: float | None = None) -> bool:
    """Wait until the events recorded so far in this process are in the store; False
    when ``timeout`` ran out first (a writer elsewhere holding the store)."""
    return _flush(store, timeout)


def count_events(store: Store) -> dict[str, int]:
    """How many distinct events of each kind were recorded (every kind present, zero
    included), this process's queued ones too unless the store stays locked."""
    flush_events(store, READ_FLUSH_S)
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT kind, COUNT(*) FROM guardrail_events GROUP BY kind")).all()
    found = {str(kind): int(n) for kind, n in rows}
    return {kind: found.get(kind, 0) for kind in KINDS}


def list_events(
    store: Store, kind: str | None = None, since: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Events, most recently seen first; ``since`` an ISO time (compared as text, UTC)."""
    if kind is not None and kind not in KINDS:
        raise InputError(f"guardrail kind must be one of {', '.join(KINDS)}, got {kind!r}")
    flush_events(store, READ_FLUSH_S)
    sql = (
        "SELECT id, kind, rule, source, created_at, last_seen_at, seen, detail "
        "FROM guardrail_events WHERE (:kind IS NULL OR kind = :kind) "
        "AND (:since IS NULL OR last_seen_at >= :since) "
        "ORDER BY last_seen_at DESC, id DESC LIMIT :n"
    )
    with store.engine.connect() as conn:
        rows = conn.execute(text(sql), {"kind": kind, "since": since, "n": limit}).all()
    keys = ("id", "kind", "rule", "source", "created_at", "last_seen_at", "seen", "detail")
    events = [dict(zip(keys, row, strict=True)) for row in rows]
    for event in events:
        event["detail"] = json.loads(event["detail"] or "{}")
    return events


__all__ = ["KINDS", "Kind", "count_events", "flush_events", "list_events", "record_event"]
