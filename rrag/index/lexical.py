"""FTS5 search over chunk text, with user text escaped before MATCH.

User input never reaches MATCH as syntax: it is cut into word tokens, each token is
double-quoted (a quoted string is always a literal phrase in FTS5 syntax), and the tokens
are OR-ed so a long, conversational query still finds documents that share some of its
words; bm25 then prefers documents sharing more (and rarer) ones. Quotes, ``NEAR``,
``*``, ``:``, parentheses and column filters in the user's text are therefore inert.

Common terms only score, they do not recruit. SQLite's bm25 costs about a microsecond for
every row that matches any query term, and a conversational query on a large tracker
carries words ("project", "page", "list") found in a third of all chunks, so an OR over
every term scores half the index (48k rows at 100k chunks, 32 / 52 ms p50 / p95;
RESULTS.md). A term is *common* when it occurs in more than
``RETRIEVAL_COMMON_TERM_FRACTION`` (default 0.05) of the chunks and in more than
``COMMON_MIN_ROWS`` of them. When a query has both common and rarer terms, the candidates
are the chunks containing a rarer term: one query ranks them by the rarer terms, a second
(rarer AND common) gives every candidate that also holds a common term its full bm25,
identical to the OR query's score. What is left out is only chunks whose every matching
word is common; their bm25 is bounded by the common terms' small IDF. A query made only
of common (or only of rarer) terms runs as one OR query. Measured with the 4,231 real
titles among 100k chunks (benchmarks/bench_lexical_scale.py): lexical p95 48 → 18 ms,
hybrid 53 → 24 ms, recall@10 unchanged on the 73 labelled queries (MRR 0.215 → 0.213),
top 10 identical for 65 of 73. Small stores (no term in more than ``COMMON_MIN_ROWS``
chunks) are unaffected.

A common term in at least half the chunks is *weightless*: FTS5's bm25 floors its idf at
1e-6, so it adds under 5e-6 to any score, but computing that idf still walks its whole
doclist, the largest cost of the second query. It is left out of the plan unless the
query has nothing else. The second query runs on a side read (:mod:`rrag.store.reads`)
while the first runs, as each costs about the same.

Ranking first and filtering the top few after is cheaper than joining every match with
``chunks``; when the ranked top ``limit * OVERFETCH`` holds fewer than ``limit`` visible
chunks, the same queries run joined with the filter, so a hidden chunk never takes a
visible one's place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

from rrag.index.hashing import STOP_WORDS
from rrag.store import reads

MAX_TERMS = 32
OVERFETCH = 4
_TOKEN = re.compile(r"\w+", re.UNICODE)
SUBJECT_WEIGHT = 2.0  # a hit in the subject says more than one deep in a note
COMMON_FRACTION = 0.05
COMMON_MIN_ROWS = 2_000
MAX_CACHED_TERMS = 50_000  # a long-lived server between syncs: bound the cache, not the terms
_BM25 = f"bm25(chunks_fts, {SUBJECT_WEIGHT}, 1.0)"


def query_terms(query: str) -> list[str]:
    """Distinct lower-case word tokens; stop words dropped unless nothing else is left."""
    tokens = list(dict.fromkeys(t.lower() for t in _TOKEN.findall(query)))
    content = [t for t in tokens if t not in STOP_WORDS]
    return (content or tokens)[:MAX_TERMS]


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _any(terms: list[str]) -> str:
    return " OR ".join(_phrase(t) for t in terms)


def fts_query(query: str) -> str | None:
    """A safe MATCH expression for ``query``; None when it has no word at all."""
    terms = query_terms(query)
    return _any(terms) if terms else None


@dataclass
class TermStats:
    """Document frequencies for one state of the store (drop it when the store changes).

    Counting a term's rows is cheap next to scoring them (about 0.2 ms for a common term at
    100k chunks); the cache makes repeated query words free for the life of one generation.
    """

    fraction: float = COMMON_FRACTION
    min_rows: int = COMMON_MIN_ROWS
    rows: int | None = None
    df: dict[str, int] = field(default_factory=dict)

    def common(self, conn: Connection, terms: list[str]) -> list[str]:
        """The terms (of ``terms``) that are too common to recruit candidates."""
        if self.rows is None:
            self.rows = int(conn.execute(text("SELECT COUNT(*) FROM chunks_fts")).scalar_one())
        cutoff = max(self.min_rows, self.fraction * self.rows)
        if self.rows <= cutoff:
            return []
        return [t for t in terms if self._df(conn, t) > cutoff]

    def weightless(self, conn: Connection, common: list[str]) -> list[str]:
        """The terms (of ``common``) in at least half the chunks: bm25 gives them no weight.

        FTS5's bm25 floors a phrase's idf, ``log((N - n + 0.5) / (n + 0.5))``, at 1e-6, and it
        is at most 0 once ``n >= N / 2``; such a term adds under 5e-6 to any score, yet
        computing that idf walks its whole doclist (about 2.5 ms at 100k chunks).
        """
        rows = self.rows or 0
        return [t for t in common if 2 * self._df(conn, t) >= rows]

    def _df(self, conn: Connection, term: str) -> int:
        if term not in self.df:
            if len(self.df) >= MAX_CACHED_TERMS:
                self.df.clear()
            self.df[term] = int(
                conn.execute(
                    text("SELECT COUNT(*) FROM chunks_fts WHERE chunks_fts MATCH :m"),
                    {"m": _phrase(term)},
                ).scalar_one()
            )
        return self.df[term]


def search(
    conn: Connection,
    query: str,
    limit: int,
    where: str = "1",
    params: Mapping[str, Any] | None = None,
    stats: TermStats | None = None,
    side: Engine | None = None,
) -> list[tuple[int, float]]:
    """Top ``limit`` (chunk id, score) by bm25; ``where`` filters chunks ``c`` before the cut.

    Scores are ``-bm25`` so that higher is better, like the vector side. ``stats`` turns on
    the common-term policy (module docstring); without it every term recruits. With
    ``side``, a plan's second FTS5 query runs on a side read of that engine
    (:mod:`rrag.store.reads`) while the first runs on ``conn``; the ranking is the same.
    """
    terms = query_terms(query)
    if not terms:
        return []
    plan = query_plan(conn, terms, stats)
    binds = dict(params or {})
    fetch = limit * OVERFETCH
    ranked, complete = _ranked(conn, plan, fetch, None, binds, side)
    if not ranked:
        return []
    ids = ", ".join(str(i) for i, _ in ranked)
    visible = {
        int(r[0])
        for r in conn.execute(
            text(f"SELECT c.id FROM chunks c WHERE c.id IN ({ids}) AND ({where})"), binds
        )
    }
    top = [(i, s) for i, s in ranked if i in visible]
    if len(top) >= limit or complete:
        return top[:limit]
    return _ranked(conn, plan, limit, where, binds, side)[0][:limit]


def query_plan(conn: Connection, terms: list[str], stats: TermStats | None) -> list[str]:
    """The FTS5 MATCH expressions that rank ``terms`` (see the module docstring).

    One OR query when every term recruits; otherwise the rarer terms OR'ed, then (rarer)
    AND (common) for the common terms' share of the score. Weightless terms
    (:meth:`TermStats.weightless`) neither recruit nor score unless nothing else is left.
    """
    if stats is None:
        return [_any(terms)]
    common = stats.common(conn, terms)
    rare = [t for t in terms if t not in common]
    weightless = stats.weightless(conn, common)
    if len(weightless) < len(terms):
        common = [t for t in common if t not in weightless]
    if rare and common:
        return [_any(rare), f"({_any(rare)}) AND ({_any(common)})"]
    return [_any(rare or common)]


def body_terms(conn: Connection, query: str, ids: list[int]) -> dict[int, set[str]]:
    """The query terms each of chunks ``ids`` matches in its own text (not its subject).

    Every chunk of an issue carries the issue's subject (so a note is found in its issue's
    context); this tells what a chunk itself says about the query. One FTS5 query per term,
    restricted to ``ids``, so the tokenizer's stemming applies as in the search.
    """
    found: dict[int, set[str]] = {int(i): set() for i in ids}
    if not ids:
        return found
    rowids = ", ".join(str(int(i)) for i in ids)
    for term in query_terms(query):
        rows = conn.execute(
            text(f"SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH :m AND rowid IN ({rowids})"),
            {"m": f"text : {_phrase(term)}"},
        )
        for (rowid,) in rows:
            found[int(rowid)].add(term)
    return found


def _ranked(
    conn: Connection,
    plan: list[str],
    n: int,
    where: str | None,
    binds: dict[str, Any],
    side: Engine | None = None,
) -> tuple[list[tuple[int, float]], bool]:
    """Merge the plan's queries (a later query's score wins: it covers more phrases).

    Returns the top ``n`` by score, best first, ties by chunk id, and whether every query
    returned all its matches (nothing beyond them could rank).
    """
    if side is None:
        results = [_query(conn, match, n, where, binds) for match in plan]
    else:
        # each query costs about the same (bm25 for every row it matches), so the later
        # ones run on side reads while this connection runs the first
        later = [
            reads.submit_read(side, partial(_query, match=m, n=n, where=where, binds=binds))
            for m in plan[1:]
        ]
        results = [_query(conn, plan[0], n, where, binds)] + [f.result() for f in later]
    scores: dict[int, float] = {}
    complete = True
    for rows in results:
        complete = complete and len(rows) < n
        scores.update(rows)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return ranked[:n], complete


def _query(
    conn: Connection, match: str, n: int, where: str | None, binds: dict[str, Any]
) -> list[tuple[int, float]]:
    if where is None:
        sql = (
            f"SELECT rowid, {_BM25} AS s FROM chunks_fts "
            "WHERE chunks_fts MATCH :match ORDER BY s, rowid LIMIT :n"
        )
    else:
        sql = (
            f"SELECT c.id, {_BM25} AS s FROM chunks_fts "
            "JOIN chunks c ON c.id = chunks_fts.rowid "
            f"WHERE chunks_fts MATCH :match AND ({where}) ORDER BY s, c.id LIMIT :n"
        )
    rows = conn.execute(text(sql), {**binds, "match": match, "n": n})
    return [(int(r[0]), -float(r[1])) for r in rows]


__all__ = [
    "COMMON_FRACTION",
    "COMMON_MIN_ROWS",
    "MAX_TERMS",
    "TermStats",
    "body_terms",
    "fts_query",
    "query_plan",
    "query_terms",
    "search",
]
