"""Reading a source's chunks from the store: what the indexer and the sync's prefetch chunk."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from rrag.index.chunking import Chunk, issue_chunks, wiki_chunks
from rrag.store.models import Extraction, Issue, Journal, Project, WikiPage


def load_sources(
    session: Session, kind: str, ids: list[int], base_url: str
) -> dict[int, tuple[str, list[Chunk]]]:
    """``{source_id: (content hash, chunks)}`` for the sources that still exist."""
    out: dict[int, tuple[str, list[Chunk]]] = {}
    if kind == "issue":
        issues = session.exec(select(Issue).where(col(Issue.id).in_(ids))).all()
        journals: dict[int, list[Journal]] = {}
        for j in session.exec(select(Journal).where(col(Journal.issue_id).in_(ids))).all():
            journals.setdefault(j.issue_id, []).append(j)
        extracted = _extractions(session, ids)
        for issue in issues:
            out[issue.id] = (
                issue.content_hash,
                issue_chunks(issue, journals.get(issue.id, []), base_url, extracted.get(issue.id)),
            )
        return out
    pages = session.exec(select(WikiPage).where(col(WikiPage.id).in_(ids))).all()
    projects = {p.id: p for p in session.exec(select(Project)).all()}
    for page in pages:
        project = projects.get(page.project_id)
        if page.id is not None and project is not None:
            out[page.id] = (page.content_hash, wiki_chunks(page, project, base_url))
    return out


def _extractions(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The fields of the issues' successful extractions (rrag.extract), by issue id."""
    query = select(Extraction).where(col(Extraction.issue_id).in_(ids), Extraction.status == "ok")
    return {e.issue_id: json.loads(e.fields) for e in session.exec(query).all()}


def current_hashes(session: Session, kind: str, ids: list[int]) -> dict[int, str]:
    """``{source_id: content hash}`` of the sources among ``ids`` that still exist."""
    table = "issues" if kind == "issue" else "wiki_pages"
    found: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        part = {f"i{n}": v for n, v in enumerate(ids[start : start + 500])}
        marks = ", ".join(f":{k}" for k in part)
        rows = session.execute(
            text(f"SELECT id, content_hash FROM {table} WHERE id IN ({marks})"), part
        )
        found.update((int(r[0]), str(r[1])) for r in rows)
    return found


__all__ = ["current_hashes", "load_sources"]
