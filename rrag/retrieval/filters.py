"""Visibility and user filters, as one object that renders to SQL and to a numpy mask.

Lexical candidates are filtered by clauses of the engine's query, vector candidates by a
FAISS bitmap selector, the mask mapped onto vector positions
(:meth:`rrag.retrieval.state.IndexState.admitted`): both before the top-k cut, with the
same rules.
The rows a search returns are checked once more (:meth:`Filters.admits`) as read at the
end of the search, so metadata older than a vector can never let its chunk through.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import Connection

from rrag.retrieval.caller import Caller


@dataclass(frozen=True)
class Filters:
    caller: Caller
    project_ids: frozenset[int] | None = None
    tracker: str | None = None
    status: str | None = None  # "open" | "closed" | None
    updated_since: str | None = None

    @property
    def see_private(self) -> bool:
        """Whether private issues and notes may be returned (the caller's right)."""
        return self.caller.see_private

    def visible_projects(self, conn: Connection) -> frozenset[int]:
        """Projects this query may return: the caller's, narrowed by the user's filter."""
        if self.caller.every_project:
            rows = conn.execute(text("SELECT id FROM projects"))
            allowed = frozenset(int(r[0]) for r in rows)
        elif self.caller.project_ids is None:
            rows = conn.execute(text("SELECT id FROM projects WHERE is_public = 1"))
            allowed = frozenset(int(r[0]) for r in rows)
        else:
            allowed = self.caller.project_ids
        return allowed & self.project_ids if self.project_ids is not None else allowed

    def sql(self, projects: frozenset[int]) -> tuple[str, dict[str, Any]]:
        """A WHERE fragment over chunks ``c`` and its parameters."""
        params: dict[str, Any] = {f"p{n}": p for n, p in enumerate(sorted(projects))}
        clauses = [f"c.project_id IN ({', '.join(':' + k for k in params) or 'NULL'})"]
        if not self.caller.see_private:
            clauses.append("c.is_private = 0")
        if self.tracker:
            clauses.append("lower(c.tracker) = lower(:tracker)")
            params["tracker"] = self.tracker
        if self.status:
            clauses.append("c.is_closed = :closed")
            params["closed"] = 1 if self.status == "closed" else 0
        if self.updated_since:
            clauses.append("c.updated_on >= :since")
            params["since"] = self.updated_since
        return " AND ".join(clauses), params

    def mask(self, meta: ChunkMeta, projects: frozenset[int]) -> np.ndarray:
        keep = np.isin(meta.project_id, np.fromiter(projects, np.int64, len(projects)))
        if not self.caller.see_private:
            keep &= ~meta.is_private
        if self.tracker:
            keep &= meta.tracker == self.tracker.lower()
        if self.status:
            keep &= meta.is_closed == (self.status == "closed")
        if self.updated_since:
            keep &= meta.updated_on >= self.updated_since
        return keep

    def admits(self, row: Mapping[str, Any], projects: frozenset[int]) -> bool:
        """The rules of :meth:`sql` for one chunk row: the last check on what a search
        returns, made on rows read after every vector it searched was added."""
        if int(row["project_id"]) not in projects:
            return False
        if row["is_private"] and not self.caller.see_private:
            return False
        if self.tracker and (row["tracker"] or "").lower() != self.tracker.lower():
            return False
        if self.status and bool(row["is_closed"]) != (self.status == "closed"):
            return False
        return not (self.updated_since and (row["updated_on"] or "") < self.updated_since)


@dataclass(frozen=True)
class ChunkMeta:
    """The filterable columns of every chunk, as arrays aligned with ``ids``."""

    ids: np.ndarray
    project_id: np.ndarray
    is_private: np.ndarray
    is_closed: np.ndarray
    tracker: np.ndarray
    updated_on: np.ndarray

    @classmethod
    def load(cls, conn: Connection) -> ChunkMeta:
        rows = conn.execute(
            text(
                "SELECT id, project_id, is_private, is_closed, lower(COALESCE(tracker, '')), "
                "COALESCE(updated_on, '') FROM chunks ORDER BY id"
            )
        ).all()
        cols: list[Any] = list(zip(*rows, strict=True)) if rows else [()] * 6
        return cls(
            ids=np.array(cols[0], np.int64),
            project_id=np.array(cols[1], np.int64),
            is_private=np.array(cols[2], bool),
            is_closed=np.array(cols[3], bool),
            tracker=np.array(cols[4], dtype=str),
            updated_on=np.array(cols[5], dtype=str),
        )


__all__ = ["ChunkMeta", "Filters"]
