"""FTS5 search over chunk text, with user text escaped before MATCH.

User input never reaches MATCH as syntax: it is cut into word tokens, each token is
double-quoted (a quoted string is always a literal phrase in FTS5 syntax), and the tokens
are OR-ed so a long, conversational query still finds documents that share some of its
words; bm25 then prefers documents sharing more (and rarer) ones. Quotes, ``NEAR``,
``*``, ``:``, parentheses and column filters in the user's text are therefore inert.

Ranking first and filtering the top few after is cheaper than joining every match with
``chunks`` (bm25 over a conversational query touches most of a large index: 58 vs 39 ms p50
at 100k chunks, RESULTS.md); when the unfiltered top ``limit * OVERFETCH`` holds fewer than
``limit`` visible chunks, the filtered query runs instead, so a hidden chunk never takes a
visible one's place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from rrag.index.hashing import STOP_WORDS

MAX_TERMS = 32
OVERFETCH = 4
_TOKEN = re.compile(r"\w+", re.UNICODE)
SUBJECT_WEIGHT = 2.0  # a hit in the subject says more than one deep in a note


def query_terms(query: str) -> list[str]:
    """Distinct lower-case word tokens; stop words dropped unless nothing else is left."""
    tokens = list(dict.fromkeys(t.lower() for t in _TOKEN.findall(query)))
    content = [t for t in tokens if t not in STOP_WORDS]
    return (content or tokens)[:MAX_TERMS]


def fts_query(query: str) -> str | None:
    """A safe MATCH expression for ``query``; None when it has no word at all."""
    terms = query_terms(query)
    if not terms:
        return None
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


def search(
    conn: Connection,
    query: str,
    limit: int,
    where: str = "1",
    params: Mapping[str, Any] | None = None,
) -> list[tuple[int, float]]:
    """Top ``limit`` (chunk id, score) by bm25; ``where`` filters chunks ``c`` before the cut.

    Scores are ``-bm25`` so that higher is better, like the vector side.
    """
    match = fts_query(query)
    if match is None:
        return []
    binds = {**(params or {}), "match": match}
    fetch = limit * OVERFETCH
    ranked = conn.execute(
        text(
            f"SELECT rowid, bm25(chunks_fts, {SUBJECT_WEIGHT}, 1.0) AS s FROM chunks_fts "
            "WHERE chunks_fts MATCH :match ORDER BY s, rowid LIMIT :fetch"
        ),
        {"match": match, "fetch": fetch},
    ).all()
    if not ranked:
        return []
    ids = ", ".join(str(int(r[0])) for r in ranked)
    visible = {
        int(r[0])
        for r in conn.execute(
            text(f"SELECT c.id FROM chunks c WHERE c.id IN ({ids}) AND ({where})"), binds
        )
    }
    top = [(int(i), -float(s)) for i, s in ranked if int(i) in visible]
    if len(top) >= limit or len(ranked) < fetch:
        return top[:limit]
    return _filtered(conn, binds, limit, where)


def _filtered(
    conn: Connection, binds: dict[str, Any], limit: int, where: str
) -> list[tuple[int, float]]:
    sql = text(
        f"SELECT c.id, bm25(chunks_fts, {SUBJECT_WEIGHT}, 1.0) AS s FROM chunks_fts "
        "JOIN chunks c ON c.id = chunks_fts.rowid "
        f"WHERE chunks_fts MATCH :match AND ({where}) ORDER BY s, c.id LIMIT :limit"
    )
    rows = conn.execute(sql, {**binds, "limit": limit})
    return [(int(r[0]), -float(r[1])) for r in rows]


__all__ = ["MAX_TERMS", "fts_query", "query_terms", "search"]
