"""FTS5 search over chunk text, with user text escaped before MATCH.

User input never reaches MATCH as syntax: it is cut into word tokens, each token is
double-quoted (a quoted string is always a literal phrase in FTS5 syntax), and the tokens
are OR-ed so a long, conversational query still finds documents that share some of its
words; bm25 then prefers documents sharing more (and rarer) ones. Quotes, ``NEAR``,
``*``, ``:``, parentheses and column filters in the user's text are therefore inert.

Common terms only score, they do not recruit. A conversational query on a large tracker
carries words ("project", "page", "list") found in a third of all chunks, so an OR over
every term scores half the index. A term is *common* when it occurs in more than
``RETRIEVAL_COMMON_TERM_FRACTION`` (default 0.05) of the chunks and in more than
``COMMON_MIN_ROWS`` of them. When a query has both common and rarer terms, the candidates
are the chunks containing a rarer term, each with its full bm25 (common terms included);
what is left out is only chunks whose every matching word is common, whose bm25 is bounded
by the common terms' small IDF. A query made only of common (or only of rarer) terms
recruits with all of them. Measured with the 4,231 real titles among 100k chunks
(benchmarks/bench_lexical_scale.py): recall@10 unchanged on the 73 labelled queries (MRR
0.215 → 0.213). Small stores (no term in more than ``COMMON_MIN_ROWS`` chunks) are
unaffected.

A common term in at least half the chunks is *weightless*: FTS5's bm25 floors its idf at
1e-6, so it adds under 5e-6 to any score, but its share would span most of the table. It
is left out unless the query has nothing else.

With :class:`TermStats` (as the retriever runs it), a word's second use in a process
ranks from its per-chunk counts (:mod:`rrag.index.termscores`), kept across syncs: the
same scores, bit for bit, as FTS5's, without SQLite scoring again rows it has already
scored. Reading a word's counts costs about what one FTS5 query over its rows does, so a
query with a word not used before runs as FTS5 queries instead: the rarer words OR'ed,
then (rarer) AND (common) for the common words' share, the second on a side read
(:mod:`rrag.store.reads`) while the first runs. Either way the best ``limit * OVERFETCH``
are then checked against the caller's filter; when fewer than ``limit`` of them are
visible, the visible candidates alone are ranked, so a hidden chunk never takes a visible
one's place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

from rrag.index import termscores
from rrag.index.hashing import STOP_WORDS
from rrag.index.termscores import BM25, Shares, TermCounts, Totals, phrase
from rrag.store import reads

MAX_TERMS = 32
OVERFETCH = 4
_TOKEN = re.compile(r"\w+", re.UNICODE)
COMMON_FRACTION = 0.05
COMMON_MIN_ROWS = 2_000
MAX_CACHED_TERMS = 50_000  # a long-lived server between syncs: bound the cache, not the terms


def query_terms(query: str) -> list[str]:
    """Distinct lower-case word tokens; stop words dropped unless nothing else is left."""
    tokens = list(dict.fromkeys(t.lower() for t in _TOKEN.findall(query)))
    content = [t for t in tokens if t not in STOP_WORDS]
    return (content or tokens)[:MAX_TERMS]


def _any(terms: list[str]) -> str:
    return " OR ".join(phrase(t) for t in terms)


def fts_query(query: str) -> str | None:
    """A safe MATCH expression for ``query``; None when it has no word at all."""
    terms = query_terms(query)
    return _any(terms) if terms else None


@dataclass
class TermStats:
    """What one state of the store knows about words: their row counts and the table's
    totals (drop it when the store changes), with the per-word counts of
    :class:`~rrag.index.termscores.TermCounts`, which outlive states and are shared.

    Counting a term's rows is cheap next to scoring them (about 0.2 ms for a common term at
    100k chunks); the cache makes repeated query words free for the life of one generation.
    """

    fraction: float = COMMON_FRACTION
    min_rows: int = COMMON_MIN_ROWS
    rows: int | None = None
    df: dict[str, int] = field(default_factory=dict)
    #: per-word counts, shared by every state of one store (they outlive syncs)
    counts: TermCounts = field(default_factory=TermCounts)
    totals: Totals | None = None
    _alive: np.ndarray | None = None

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
        is at most 0 once ``n >= N / 2``; such a term adds under 5e-6 to any score.
        """
        rows = self.rows or 0
        return [t for t in common if 2 * self._df(conn, t) >= rows]

    def first_seen(self, conn: Connection, terms: list[str]) -> list[str]:
        """The words of ``terms`` no query had used in this process (now marked used).

        Reading a word's counts costs about what one FTS5 query over its rows does (a
        common word's span tens of thousands of rows), so they are read from a word's
        second use on: a one-shot ``rrag search`` runs the FTS5 plan and reads none.
        """
        seen = self.counts.seen
        new = [t for t in terms if t not in seen and self.counts.cached(t) is None]
        if len(seen) + len(new) > MAX_CACHED_TERMS:
            seen.clear()
        seen.update(new)
        return new

    def shares(self, conn: Connection, terms: list[str], side: Engine | None) -> list[Shares]:
        """Each term's bm25 shares in this state, from its cached counts, patched or read now
        (the largest reads on side reads of ``side`` when given, while this connection
        reads the smallest)."""
        if self.totals is None:
            self.totals = Totals.read(conn)
        last_id = self.totals.last_id
        counts = self.counts
        stale = sorted(
            (t for t in terms if (c := counts.cached(t)) is None or c.upto < last_id),
            key=self._known_df,
        )
        later = {
            t: reads.submit_read(side, partial(self._counts, term=t))
            for t in reversed(stale[1:])
            if side is not None
        }
        found = {t: self._counts(conn, t) for t in terms if t not in later}
        found.update({t: f.result() for t, f in later.items()})
        sizes = counts.sizes(conn, max([last_id, *(c.upto for c in found.values())]))
        totals = self.totals
        return [termscores.shares(found[t], sizes, totals, self._df(conn, t)) for t in terms]

    def _counts(self, conn: Connection, term: str) -> termscores.Counts:
        assert self.totals is not None
        return self.counts.counts(
            conn, term, self._df(conn, term), self.totals.last_id, partial(self._alive_ids, conn)
        )

    def _alive_ids(self, conn: Connection) -> np.ndarray:
        if self._alive is None:
            rows = conn.execute(text("SELECT id FROM chunks_fts_docsize ORDER BY id"))
            self._alive = np.fromiter((int(r[0]) for r in rows), np.int64)
        return self._alive

    def _known_df(self, term: str) -> int:
        return self.df.get(term, 0)

    def _df(self, conn: Connection, term: str) -> int:
        if term not in self.df:
            if len(self.df) >= MAX_CACHED_TERMS:
                self.df.clear()
            self.df[term] = int(
                conn.execute(
                    text("SELECT COUNT(*) FROM chunks_fts WHERE chunks_fts MATCH :m"),
                    {"m": phrase(term)},
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
    the common-term policy and the cached shares (module docstring); without it every term
    recruits and FTS5 ranks the OR query itself. ``side`` lends side reads for scoring
    words not yet cached; the ranking is the same without it.
    """
    terms = query_terms(query)
    if not terms:
        return []
    binds = dict(params or {})
    if stats is None:
        return _search_plan(conn, terms, [], limit, where, binds)
    rare, common = split_terms(conn, terms, stats)
    if not stats.counts.max_rows or stats.first_seen(conn, rare + common):
        return _search_plan(conn, rare, common, limit, where, binds, side)
    shares = stats.shares(conn, rare + common, side)
    ids, scores = termscores.combine(shares, len(rare))
    return _visible_best(conn, ids, scores, limit, where, binds)


def split_terms(
    conn: Connection, terms: list[str], stats: TermStats
) -> tuple[list[str], list[str]]:
    """``(rarer, common)``: the terms that recruit and score, then those that only score.

    When every term is common (or every term rarer), all recruit: ``common`` is empty.
    Weightless terms (:meth:`TermStats.weightless`) are left out unless nothing else is left.
    """
    common = stats.common(conn, terms)
    rare = [t for t in terms if t not in common]
    weightless = stats.weightless(conn, common)
    if len(weightless) < len(terms):
        common = [t for t in common if t not in weightless]
    return (rare, common) if rare else (common, [])


def _visible_best(
    conn: Connection,
    ids: np.ndarray,
    scores: np.ndarray,
    limit: int,
    where: str,
    binds: dict[str, Any],
) -> list[tuple[int, float]]:
    """The best ``limit`` candidates that pass ``where``: the top few checked first, every
    candidate only when too few of those pass (a caller who sees little of the tracker)."""
    if not len(ids):
        return []
    top = termscores.best(ids, scores, limit * OVERFETCH)
    shown = _visible(conn, [i for i, _ in top], where, binds)
    out = [(i, s) for i, s in top if i in shown]
    if len(out) >= limit or len(top) == len(ids):
        return out[:limit]
    allowed = np.fromiter(
        (
            int(r[0])
            for r in conn.execute(text(f"SELECT c.id FROM chunks c WHERE ({where})"), binds)
        ),
        np.int64,
    )
    keep = np.isin(ids, allowed)
    return termscores.best(ids[keep], scores[keep], limit)


def _visible(conn: Connection, ids: list[int], where: str, binds: dict[str, Any]) -> set[int]:
    listed = ", ".join(str(int(i)) for i in ids)
    sql = f"SELECT c.id FROM chunks c WHERE c.id IN ({listed}) AND ({where})"
    return {int(r[0]) for r in conn.execute(text(sql), binds)}


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
            {"m": f"text : {phrase(term)}"},
        )
        for (rowid,) in rows:
            found[int(rowid)].add(term)
    return found


def _search_plan(
    conn: Connection,
    rare: list[str],
    common: list[str],
    limit: int,
    where: str,
    binds: dict[str, Any],
    side: Engine | None = None,
) -> list[tuple[int, float]]:
    """FTS5 ranks the words itself: ``rare`` OR'ed, then (``rare``) AND (``common``) for the
    common words' share, merged; the top ``limit * OVERFETCH`` unfiltered are checked
    against ``where``, and when too few pass the queries run again joined with the filter.
    The top ``limit`` is the same as ranking from shares."""
    plan = [_any(rare)] + ([f"({_any(rare)}) AND ({_any(common)})"] if common else [])
    fetch = limit * OVERFETCH
    ranked, complete = _ranked(conn, plan, fetch, None, binds, side)
    shown = _visible(conn, [i for i, _ in ranked], where, binds) if ranked else set()
    top = [(i, s) for i, s in ranked if i in shown]
    if len(top) >= limit or complete:
        return top[:limit]
    return _ranked(conn, plan, limit, where, binds, side)[0][:limit]


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
    returned all its matches (nothing beyond them could rank). A row in the first query's
    top ``n`` but not the second's keeps its partial score, which is below the second's
    ``n``-th: the top ``n`` itself is exact.
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
    """The top ``n`` of FTS5's ranking of ``match``, best first, ties by chunk id."""
    if where is None:
        sql = (
            f"SELECT rowid, {BM25} AS s FROM chunks_fts "
            "WHERE chunks_fts MATCH :match ORDER BY s, rowid LIMIT :n"
        )
    else:
        sql = (
            f"SELECT c.id, {BM25} AS s FROM chunks_fts "
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
    "query_terms",
    "search",
    "split_terms",
]
