"""Idempotent writes of synced data into the store.

Every function takes an open write :class:`~sqlmodel.Session` so the sync engine decides
the transaction boundaries (one per batch, cursor included). Changed or deleted sources
are queued in ``index_queue`` in the same transaction, so the index can never miss a
change that the store committed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, text
from sqlalchemy.dialects.sqlite import insert
from sqlmodel import Session, SQLModel, col, select

from rrag.store.models import (
    Attachment,
    IndexQueue,
    Issue,
    Journal,
    Project,
    Relation,
    Status,
    SyncCursor,
    Tracker,
    User,
    WikiPage,
)
from rrag.sync.normalize import IssueBundle


def upsert(
    session: Session,
    model: type[SQLModel],
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str] = ("id",),
) -> None:
    """INSERT ... ON CONFLICT DO UPDATE for ``rows`` (dicts with the same columns).

    One statement executed with many parameter sets (``executemany``): SQLAlchemy compiles
    it once and caches it, where a multi-VALUES statement is recompiled for every batch.
    """
    if not rows:
        return
    stmt = insert(model)
    updates = {c: stmt.excluded[c] for c in rows[0] if c not in keys}
    stmt = (
        stmt.on_conflict_do_update(index_elements=list(keys), set_=updates)
        if updates
        else stmt.on_conflict_do_nothing(index_elements=list(keys))
    )
    session.execute(stmt, list(rows))


def upsert_changed(session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]]) -> int:
    """Upsert only the rows (keyed by ``id``) that differ from what is stored."""
    if not rows:
        return 0
    key = model.__table__.c.id  # type: ignore[attr-defined]
    found = session.exec(select(model).where(key.in_([r["id"] for r in rows])))
    stored = {row.model_dump()["id"]: row.model_dump() for row in found}
    changed = [r for r in rows if {**stored.get(r["id"], {}), **r} != stored.get(r["id"])]
    upsert(session, model, changed)
    return len(changed)


def enqueue(session: Session, kind: str, ids: Iterable[int], op: str) -> None:
    upsert(
        session,
        IndexQueue,
        [{"source_kind": kind, "source_id": i, "op": op} for i in ids],
        keys=("source_kind", "source_id"),
    )


def save_reference(
    session: Session, trackers: list[dict[str, Any]], statuses: list[dict[str, Any]]
) -> None:
    upsert_changed(session, Tracker, [{"id": t["id"], "name": t["name"]} for t in trackers])
    upsert_changed(
        session,
        Status,
        [
            {"id": s["id"], "name": s["name"], "is_closed": bool(s.get("is_closed"))}
            for s in statuses
        ],
    )


def save_projects(session: Session, projects: list[dict[str, Any]]) -> None:
    upsert_changed(
        session,
        Project,
        [
            {
                "id": p["id"],
                "identifier": p.get("identifier", str(p["id"])),
                "name": p["name"],
                "parent_id": (p.get("parent") or {}).get("id"),
                # Redmine always sends is_public; an entry without it is not known to be
                # public, and unknown means private (fail closed)
                "is_public": p.get("is_public") is True,
                "status": p.get("status"),
                "updated_on": p.get("updated_on"),
            }
            for p in projects
        ],
    )


def stored_hashes(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str | None]]:
    """``{issue_id: (content_hash, updated_on)}`` for the ids already stored."""
    if not ids:
        return {}
    rows = session.exec(
        select(Issue.id, Issue.content_hash, Issue.updated_on).where(col(Issue.id).in_(ids))
    ).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def save_bundles(session: Session, bundles: Sequence[IssueBundle]) -> int:
    """Write the bundles whose hash changed; returns the number of journals written."""
    if not bundles:
        return 0
    ids = [b.issue["id"] for b in bundles]
    for model in (Journal, Attachment, Relation):
        session.execute(delete(model).where(col(model.issue_id).in_(ids)))
    upsert(session, User, [{"id": k, "name": v} for b in bundles for k, v in b.users.items()])
    upsert(session, Issue, [b.issue for b in bundles])
    journals = [j for b in bundles for j in b.journals]
    upsert(session, Journal, journals)
    upsert(session, Attachment, [a for b in bundles for a in b.attachments])
    upsert(session, Relation, [r for b in bundles for r in b.relations])
    enqueue(session, "issue", ids, "upsert")
    return len(journals)


def delete_issues(session: Session, ids: Iterable[int]) -> int:
    ids = list(ids)
    if not ids:
        return 0
    enqueue(session, "issue", ids, "delete")
    result = session.execute(delete(Issue).where(col(Issue.id).in_(ids)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def stored_issue_ids(session: Session, project_ids: Sequence[int]) -> set[int]:
    rows = session.exec(select(Issue.id).where(col(Issue.project_id).in_(project_ids))).all()
    return set(rows)


def save_cursor(
    session: Session, project_id: int, updated_on: str | None, full_at: str | None = None
) -> None:
    row: dict[str, Any] = {"project_id": project_id, "updated_on": updated_on}
    if full_at:
        row["last_full_at"] = full_at
    upsert(session, SyncCursor, [row], keys=("project_id",))


def wiki_versions(
    session: Session, project_id: int
) -> dict[str, tuple[int, int | None, str | None]]:
    """``{title: (row id, version, updated_on)}`` of a project's stored wiki pages."""
    rows = session.exec(
        select(WikiPage.id, WikiPage.title, WikiPage.version, WikiPage.updated_on).where(
            WikiPage.project_id == project_id
        )
    ).all()
    return {r[1]: (int(r[0] or 0), r[2], r[3]) for r in rows}


def save_wiki(session: Session, page: WikiPage) -> int:
    upsert(session, WikiPage, [page.model_dump(exclude={"id"})], keys=("project_id", "title"))
    row_id = session.exec(
        select(WikiPage.id).where(
            WikiPage.project_id == page.project_id, WikiPage.title == page.title
        )
    ).one()
    enqueue(session, "wiki", [int(row_id)], "upsert")  # type: ignore[arg-type]
    return int(row_id)  # type: ignore[arg-type]


def delete_wiki(session: Session, row_ids: Sequence[int]) -> None:
    if row_ids:
        enqueue(session, "wiki", row_ids, "delete")
        session.execute(delete(WikiPage).where(col(WikiPage.id).in_(row_ids)))


def delete_projects(session: Session, project_ids: Sequence[int]) -> None:
    """Remove projects that vanished, queueing their issues and pages for the index."""
    if not project_ids:
        return
    issue_ids = stored_issue_ids(session, project_ids)
    delete_issues(session, issue_ids)
    wiki_ids = session.exec(
        select(WikiPage.id).where(col(WikiPage.project_id).in_(project_ids))
    ).all()
    delete_wiki(session, [int(i) for i in wiki_ids if i is not None])
    session.execute(delete(SyncCursor).where(col(SyncCursor.project_id).in_(project_ids)))
    session.execute(delete(Project).where(col(Project.id).in_(project_ids)))


def counts(session: Session) -> dict[str, int]:
    """Row counts per synced table (for manifests and checks)."""
    tables = ["projects", "issues", "journals", "wiki_pages", "attachments", "relations"]
    return {t: int(session.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()) for t in tables}


__all__ = [
    "counts",
    "delete_issues",
    "delete_projects",
    "delete_wiki",
    "enqueue",
    "save_bundles",
    "save_cursor",
    "save_projects",
    "save_reference",
    "save_wiki",
    "stored_hashes",
    "stored_issue_ids",
    "upsert",
    "upsert_changed",
    "wiki_versions",
]
