"""Extraction rows in the store: which issues need extracting, and a batch's commit.

A batch commits in one transaction: its extraction rows, the index queue rows that get
the extractions indexed (:mod:`rrag.index.chunking`), and the job's counters. So a crash
loses at most the batch in flight, and the job row never counts work the store lacks.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from rrag.store.db import Store
from rrag.store.models import Extraction, Issue, Journal
from rrag.sync.jobs import now
from rrag.sync.writer import enqueue, upsert


@dataclass(frozen=True)
class Candidate:
    issue_id: int
    content_hash: str
    current: bool  # an extraction of this content and version is stored


def candidates(store: Store, project_ids: list[int] | None, version: str) -> list[Candidate]:
    """Every issue in ``project_ids`` (None: all), in id order, and whether it is current."""
    sql = (
        "SELECT i.id, i.content_hash, e.content_hash = i.content_hash "
        "AND e.extractor_version = :v FROM issues i "
        "LEFT JOIN extractions e ON e.issue_id = i.id"
    )
    params: dict[str, Any] = {"v": version}
    if project_ids:
        marks = ", ".join(f":p{n}" for n in range(len(project_ids)))
        sql += f" WHERE i.project_id IN ({marks})"
        params.update({f"p{n}": p for n, p in enumerate(project_ids)})
    with store.session() as session:
        rows = session.execute(text(sql + " ORDER BY i.id"), params).all()
    return [Candidate(int(r[0]), str(r[1]), bool(r[2])) for r in rows]


def load_issues(store: Store, ids: Sequence[int]) -> list[tuple[Issue, list[Journal]]]:
    """The issues ``ids`` that still exist, with their journals."""
    with store.session() as session:
        issues = session.exec(select(Issue).where(col(Issue.id).in_(ids))).all()
        journals: dict[int, list[Journal]] = {}
        for j in session.exec(select(Journal).where(col(Journal.issue_id).in_(ids))).all():
            journals.setdefault(j.issue_id, []).append(j)
        for row in (*issues, *(j for js in journals.values() for j in js)):
            session.expunge(row)
    return [(i, journals.get(i.id, [])) for i in sorted(issues, key=lambda i: i.id)]


def extraction_row(
    issue: Issue, status: str, fields: dict[str, Any], *, reason: str | None,
    version: str, model: str, ungrounded: int,
) -> dict[str, Any]:  # fmt: skip
    return {
        "issue_id": issue.id,
        "status": status,
        "reason": reason,
        "fields": json.dumps(fields, ensure_ascii=False),
        "extractor_version": version,
        "model": model,
        "content_hash": issue.content_hash,
        "ungrounded": ungrounded,
        "extracted_at": now(),
    }


def commit_batch(
    store: Store, rows: list[dict[str, Any]], job_id: str, counters: dict[str, int],
    progress: float,
) -> None:  # fmt: skip
    """Store a batch's extractions, queue their issues for indexing, update the job."""
    with store.write() as session:
        existing = {int(i) for i in _existing_issue_ids(session, [r["issue_id"] for r in rows])}
        kept = [r for r in rows if r["issue_id"] in existing]  # deleted meanwhile: skip
        if kept:
            upsert(session, Extraction, kept, keys=("issue_id",))
            enqueue(session, "issue", [r["issue_id"] for r in kept], "upsert")
        session.execute(
            text(
                "UPDATE sync_jobs SET extract_counters = :c, progress = :p, heartbeat_at = :h "
                "WHERE id = :id"
            ),
            {"c": json.dumps(counters), "p": progress, "h": now(), "id": job_id},
        )


def _existing_issue_ids(session: Session, ids: list[int]) -> list[int]:
    if not ids:
        return []
    return list(session.exec(select(Issue.id).where(col(Issue.id).in_(ids))).all())


__all__ = [
    "Candidate",
    "candidates",
    "commit_batch",
    "extraction_row",
    "load_issues",
]
