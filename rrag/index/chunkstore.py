"""Chunk rows, written in the caller's transaction; the indexes follow from what changed.

``chunks.id`` is AUTOINCREMENT, so an id is never reused: a chunk whose text changes gets
a new id (and a new vector), and the set difference between the store's ids and the
FAISS ids is exactly what a catch-up must add or remove. A chunk whose text is unchanged
keeps its id and vector; only its metadata row is updated (a status change re-embeds
nothing) and its lexical document rewritten (:class:`SourceChange` says which).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import Session

from rrag.index import textindex
from rrag.index.chunking import (
    CHUNK_ID_MASK,
    SLOT_SHIFT,
    SUBJECT_VECTOR_SQL,
    Chunk,
    vector_texts,
)

_COLUMNS = (
    "source_kind",
    "source_id",
    "kind",
    "issue_id",
    "journal_id",
    "wiki_title",
    "project_id",
    "is_private",
    "tracker",
    "status",
    "is_closed",
    "category",
    "fixed_version",
    "subject",
    "text",
    "updated_on",
    "content_hash",
    "url",
)
# Plain DB-API statements on the session's own connection (same transaction): these run
# once per chunk, where SQLAlchemy's per-statement overhead was most of the index build.
_INSERT = (
    f"INSERT INTO chunks ({', '.join(_COLUMNS)}) VALUES ({', '.join(':' + c for c in _COLUMNS)})"
)
_UPDATE = "UPDATE chunks SET " + ", ".join(f"{c} = :{c}" for c in _COLUMNS) + " WHERE id = :id"
_EXISTING = (
    "SELECT id, kind || ':' || COALESCE(journal_id, ''), content_hash FROM chunks "
    "WHERE source_kind = :k AND source_id = :s ORDER BY id"
)


def _cursor(session: Session) -> Any:
    """A DB-API cursor on the connection (and transaction) the session is using."""
    return session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]


@dataclass
class SourceChange:
    """What one source's rewrite did: chunks removed, added (new ids) and updated in place
    (same id and text, new metadata: the lexical document is rewritten, no vector)."""

    removed: list[int] = field(default_factory=list)
    added: list[tuple[int, Chunk]] = field(default_factory=list)
    updated: list[tuple[int, Chunk]] = field(default_factory=list)


def _existing(cursor: Any, kind: str, source_id: int) -> list[tuple[int, str, str]]:
    rows = cursor.execute(_EXISTING, {"k": kind, "s": source_id}).fetchall()
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def delete_ids(session: Session, ids: Sequence[int]) -> None:
    for start in range(0, len(ids), 500):
        part = {f"i{n}": v for n, v in enumerate(ids[start : start + 500])}
        marks = ", ".join(f":{k}" for k in part)
        session.execute(text(f"DELETE FROM chunks WHERE id IN ({marks})"), part)


def replace_source(
    session: Session, kind: str, source_id: int, chunks: list[Chunk]
) -> SourceChange:
    """Make the source's chunk rows equal ``chunks`` (empty list: delete the source)."""
    change = SourceChange()
    cursor = _cursor(session)
    keep: dict[tuple[str, str], list[int]] = {}
    for chunk_id, slot, digest in _existing(cursor, kind, source_id):
        keep.setdefault((slot, digest), []).append(chunk_id)
    for chunk in chunks:
        slot = f"{chunk.kind}:{chunk.journal_id if chunk.journal_id is not None else ''}"
        reusable = keep.get((slot, chunk.content_hash))
        if reusable:
            kept = reusable.pop(0)
            cursor.execute(_UPDATE, {**chunk.row(), "id": kept})
            change.updated.append((kept, chunk))
            continue
        new_id = int(cursor.execute(_INSERT, chunk.row()).lastrowid)
        change.added.append((new_id, chunk))
    change.removed = [i for ids in keep.values() for i in ids]
    delete_ids(session, change.removed)
    return change


def dequeue(session: Session, rows: Sequence[tuple[str, int, str]]) -> None:
    """Delete the index queue's rows ``(source_kind, source_id, op)``."""
    _cursor(session).executemany(
        "DELETE FROM index_queue WHERE source_kind = ? AND source_id = ? AND op = ?", rows
    )


def chunk_rows(session: Session | Connection, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Full rows of the chunks ``ids`` (missing ids are simply absent); a search passes
    the connection it already reads on."""
    conn = session.connection() if isinstance(session, Session) else session
    # the DB-API cursor of that connection (same transaction): a search reads these rows
    # on every query, and SQLAlchemy's per-row mapping was a millisecond of it
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        part = [int(v) for v in ids[start : start + 500]]
        if not part:
            continue
        rows = cursor.execute(
            f"SELECT * FROM chunks WHERE id IN ({', '.join('?' * len(part))})", part
        )
        names = [d[0] for d in rows.description]
        for row in rows:
            record = dict(zip(names, row, strict=True))
            found[int(record["id"])] = record
    return found


def row_chunk(row: dict[str, Any]) -> Chunk:
    return Chunk(**{c: row[c] for c in _COLUMNS})


def all_ids(session: Session) -> list[int]:
    return [int(r[0]) for r in session.execute(text("SELECT id FROM chunks ORDER BY id"))]


def lexical_digests(session: Session) -> dict[int, int]:
    """Every chunk id with the digest its lexical document should carry."""
    rows = session.execute(text(f"SELECT id, {', '.join(textindex.DIGESTED)} FROM chunks"))
    return {int(row["id"]): textindex.digest(dict(row)) for row in rows.mappings()}


def vector_ids(session: Session) -> list[int]:
    """The FAISS ids the store's chunks should have, sorted (every slot of every chunk)."""
    rows = session.execute(
        text(
            f"SELECT id FROM chunks UNION ALL SELECT id | {1 << SLOT_SHIFT} FROM chunks "
            f"WHERE {SUBJECT_VECTOR_SQL} ORDER BY 1"
        )
    )
    return [int(r[0]) for r in rows]


def vector_count(session: Session) -> int:
    """``len(vector_ids(session))``, without reading the ids."""
    return int(
        session.execute(
            text(f"SELECT COUNT(*) + COALESCE(SUM({SUBJECT_VECTOR_SQL}), 0) FROM chunks")
        ).scalar_one()
    )


def slot_texts(session: Session, ids: Sequence[int]) -> tuple[list[int], list[str]]:
    """For FAISS ids a catch-up must add: those whose chunk still exists, and their texts."""
    rows = chunk_rows(session, sorted({int(i) & CHUNK_ID_MASK for i in ids}))
    out_ids: list[int] = []
    texts: list[str] = []
    slots_of = {i: vector_texts(row_chunk(row)) for i, row in rows.items()}
    for vector_id in ids:
        slots = slots_of.get(int(vector_id) & CHUNK_ID_MASK, [])
        slot = int(vector_id) >> SLOT_SHIFT
        if slot < len(slots):
            out_ids.append(int(vector_id))
            texts.append(slots[slot])
    return out_ids, texts


__all__ = [
    "SourceChange",
    "all_ids",
    "chunk_rows",
    "delete_ids",
    "dequeue",
    "lexical_digests",
    "replace_source",
    "row_chunk",
    "slot_texts",
    "vector_count",
    "vector_ids",
]
