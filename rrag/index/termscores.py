"""Each query word's bm25 share per chunk, from counts FTS5 computes once per chunk.

FTS5's bm25 for a query is a sum over its phrases, added one by one from 0.0 in phrase
order; a phrase's share in a row is

    idf * ((f * (k1 + 1)) / (f + k1 * (1 - b + b * D / avgdl)))

with ``f`` the phrase's weighted hits in the row (2 per subject hit, 1 per text hit), ``D``
the row's size in tokens, and ``idf`` and ``avgdl`` from the table's totals. Scoring a row
costs SQLite about a microsecond (the instance walk and a ``docsize`` lookup), and that was
the whole cost of a lexical query at scale: a conversational query at 100k chunks scores
tens of thousands of rows, and the same common words ("issue", "page", "time") come back
in query after query.

:class:`TermCounts` keeps, per word, the chunk ids holding it and ``f`` for each, and one
array of row sizes. A chunk's FTS5 row never changes under its id (changed text gets a new
id, :func:`rrag.index.chunkstore.replace_source`), so these outlive syncs: after one, a
word only adds the rows above the last id it has seen and drops the deleted ones. The
shares are then computed per query in numpy with the same operations in the same order as
FTS5's C code, from the current totals, so they equal FTS5's bm25 bit for bit (checked by
the tests against SQLite itself) and summing them in phrase order gives the multi-word
query's score.

``f`` is read back from FTS5's own bm25 of the word alone, ``s = share``, which gives
``f = s * K / (idf * (k1 + 1) - s)`` with ``K = k1 * (1 - b + b * D / avgdl)``; ``f`` is a
whole number, so rounding makes it exact. The word's rows, its row count and the totals
come from one statement, so from one snapshot of the store.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.engine import Connection

#: at 16 bytes a word-row, 4M are 64 MB; a word in more rows than this is not kept
MAX_CACHED_ROWS = 4_000_000
SUBJECT_WEIGHT = 2.0  # a hit in the subject says more than one deep in a note
BM25 = f"bm25(chunks_fts, {SUBJECT_WEIGHT}, 1.0)"
K1, B = 1.2, 0.75  # FTS5's bm25 constants (fts5_aux.c)
#: one statement, so one snapshot: the word's rows above ``after``, then one row (rowid
#: NULL) with the totals, the word's row count and the highest row id that bm25 saw
_LOAD = (
    f"SELECT f.rowid, {BM25}, NULL, NULL, NULL FROM chunks_fts f "
    "WHERE chunks_fts MATCH :m AND f.rowid > :after "
    "UNION ALL SELECT NULL, NULL, "
    "(SELECT block FROM chunks_fts_data WHERE id = 1), "
    "(SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH :m), "
    "(SELECT coalesce(max(rowid), 0) FROM chunks_fts)"
)
_TOTALS = (
    "SELECT (SELECT block FROM chunks_fts_data WHERE id = 1), "
    "(SELECT coalesce(max(rowid), 0) FROM chunks_fts)"
)


def phrase(term: str) -> str:
    """``term`` as a literal FTS5 phrase (quotes doubled): never MATCH syntax."""
    return '"' + term.replace('"', '""') + '"'


def varints(blob: bytes) -> list[int]:
    """The SQLite varints in ``blob`` (FTS5's averages record and ``docsize`` rows)."""
    out, value, length = [], 0, 0
    for byte in blob:
        length += 1
        if length == 9:  # the ninth byte carries 8 bits
            out.append((value << 8) | byte)
            value, length = 0, 0
            continue
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            out.append(value)
            value, length = 0, 0
    return out


@dataclass(frozen=True)
class Totals:
    """What bm25 takes from the whole table: its rows and tokens, and the highest row id."""

    rows: int
    tokens: int
    last_id: int

    @classmethod
    def parse(cls, averages: bytes | None, last_id: int) -> Totals:
        counts = varints(averages or b"")
        return cls(counts[0] if counts else 0, sum(counts[1:]), int(last_id or 0))

    @classmethod
    def read(cls, conn: Connection) -> Totals:
        averages, last_id = _driver(conn).execute(_TOTALS).fetchone()
        return cls.parse(averages, last_id)

    @property
    def avgdl(self) -> float:
        return float(self.tokens) / float(self.rows) if self.rows else 1.0

    def idf(self, df: int) -> float:
        """FTS5's idf for a phrase in ``df`` rows (floored at 1e-6, as bm25 does).

        ``df`` may come from a newer snapshot than these totals while a sync commits (the
        state is replaced on the next search): a row count above the totals' is floored too.
        """
        ratio = (float(self.rows - df) + 0.5) / (float(df) + 0.5)
        idf = math.log(ratio) if ratio > 0.0 else 0.0
        return idf if idf > 0.0 else 1e-6


@dataclass(frozen=True)
class Counts:
    """One word's weighted hits ``f`` in every chunk holding it, for ids up to ``upto``."""

    ids: np.ndarray  # int64, ascending
    freq: np.ndarray  # float64, aligned with ids
    upto: int

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Shares:
    """One word's bm25 share in every chunk holding it (``-bm25``: higher is better)."""

    ids: np.ndarray  # int64, ascending
    scores: np.ndarray  # float64, aligned with ids


def shares(counts: Counts, sizes: np.ndarray, totals: Totals, df: int) -> Shares:
    """``counts`` scored with ``totals`` and ``df``: FTS5's bm25 of the word alone."""
    f, d = counts.freq, sizes[counts.ids]
    # the operations and their order are fts5_aux.c's, so the floats are the same
    score = totals.idf(df) * ((f * (K1 + 1.0)) / (f + K1 * (1 - B + B * d / totals.avgdl)))
    return Shares(counts.ids, score)


class TermCounts:
    """Per-word :class:`Counts` and the row sizes, for the life of a process (syncs included).

    Bounded by word-rows held (least recently used words leave first). Thread-safe: loads
    run outside the lock, so two threads may load the same word once each. A word whose
    cached rows do not add up to its current row count (rows deleted, or a store restored
    from a backup) is read again; another store (:meth:`belongs_to`) starts it over.
    """

    def __init__(self, max_rows: int = MAX_CACHED_ROWS) -> None:
        self.max_rows = max_rows
        self._words: OrderedDict[str, Counts] = OrderedDict()
        self._held = 0
        self._sizes = np.zeros(0, np.float64)
        self._covered = 0  # every row with an id up to this one has its size in _sizes
        self._store: object = None
        self._generation = -1
        self._lock = threading.Lock()
        #: words some query has used (their counts are read from their next use on)
        self.seen: set[str] = set()

    @property
    def held(self) -> int:
        """Word-rows held now, over every cached word."""
        return self._held

    def clear(self) -> None:
        """Forget every word and row size (the next queries load them again)."""
        with self._lock:
            self._words.clear()
            self._held = 0
            self._sizes = np.zeros(0, np.float64)
            self._covered = 0
            self.seen.clear()

    def belongs_to(self, store: object, generation: int) -> None:
        """Start over unless the counts were read from ``store`` (any identity) at index
        ``generation`` or before: a generation going back is a store restored from a
        backup, which may hold rows this process saw deleted."""
        if store != self._store or generation < self._generation:
            self.clear()
            self._store = store
        self._generation = generation

    def cached(self, term: str) -> Counts | None:
        with self._lock:
            counts = self._words.get(term)
            if counts is not None:
                self._words.move_to_end(term)
            return counts

    def counts(
        self,
        conn: Connection,
        term: str,
        df: int,
        last_id: int,
        alive: Callable[[], np.ndarray],
    ) -> Counts:
        """``term``'s counts for a store state whose highest row id is ``last_id`` and in
        which ``df`` rows hold it: cached, patched with the rows above the cached ones, or
        read whole. ``alive()`` gives the state's row ids (ascending) to drop deleted ones.
        """
        old = self.cached(term)
        fresh = old
        if fresh is None or fresh.upto < last_id:
            fresh = self._read(conn, term, fresh)
        if len(fresh) > df:
            ids = alive()
            # rows above the newest id ``alive`` knows were added after it was read: kept
            newer = fresh.ids > (ids[-1] if len(ids) else 0)
            keep = np.isin(fresh.ids, ids, assume_unique=True) | newer
            fresh = Counts(fresh.ids[keep], fresh.freq[keep], fresh.upto)
        if len(fresh) != df:  # rows missing under ids already seen: read it all again
            fresh = self._read(conn, term, None)
        if fresh is not old:
            self._put(term, fresh)
        return fresh

    def sizes(self, conn: Connection, last_id: int) -> np.ndarray:
        """Row sizes by chunk id (0 where no row), at least ``last_id + 1`` long, with every
        row this connection's store holds up to ``last_id``."""
        with self._lock:
            sizes, covered = self._sizes, self._covered
        if covered >= last_id:
            return sizes
        rows = _driver(conn).execute(
            "SELECT id, sz FROM chunks_fts_docsize WHERE id > ? ORDER BY id", (covered,)
        )
        ids, counts = [], []
        for rowid, blob in rows:
            ids.append(int(rowid))
            counts.append(float(sum(varints(blob))))
        if not ids and len(sizes) > last_id:  # the last rows were deleted: nothing to add
            return sizes
        grown = np.zeros(max([last_id, len(sizes) - 1, *ids[-1:]]) + 1, np.float64)
        grown[: len(sizes)] = sizes
        grown[np.array(ids, np.int64)] = counts
        with self._lock:
            # covered up to the last row read, not ``last_id``: a row this read could not
            # see yet is read next time rather than taken for an empty one
            if self._covered == covered:
                self._sizes, self._covered = grown, max([covered, *ids[-1:]])
            return grown

    def _read(self, conn: Connection, term: str, old: Counts | None) -> Counts:
        """``old`` plus the rows above ``old.upto`` (all rows without ``old``), read with the
        totals of the same snapshot and turned back into counts."""
        after = old.upto if old is not None else 0
        rows = _driver(conn).execute(_LOAD, {"m": phrase(term), "after": after}).fetchall()
        averages, df, last_id = next(r[2:] for r in rows if r[0] is None)
        totals = Totals.parse(averages, last_id)
        found = np.array([r[:2] for r in rows if r[0] is not None], np.float64).reshape(-1, 2)
        ids, score = found[:, 0].astype(np.int64), -found[:, 1]
        if not _ascending(ids):  # FTS5 returns rowid order; do not rely on it
            order = np.argsort(ids)
            ids, score = ids[order], score[order]
        d = self.sizes(conn, totals.last_id)[ids]
        k = K1 * (1 - B + B * d / totals.avgdl)
        freq = np.rint(score * k / (totals.idf(int(df)) * (K1 + 1.0) - score))
        if old is not None:
            ids, freq = np.concatenate([old.ids, ids]), np.concatenate([old.freq, freq])
        return Counts(ids, freq, max(totals.last_id, after))

    def _put(self, term: str, counts: Counts) -> None:
        with self._lock:
            current = self._words.pop(term, None)
            self._held -= len(current) if current is not None else 0
            if len(counts) > self.max_rows:
                return
            self._words[term] = counts
            self._held += len(counts)
            while self._held > self.max_rows:
                _, dropped = self._words.popitem(last=False)
                self._held -= len(dropped)


def _ascending(ids: np.ndarray) -> bool:
    return len(ids) < 2 or bool(np.all(ids[1:] > ids[:-1]))


def _driver(conn: Connection) -> Any:
    # the DBAPI connection: tens of thousands of rows go straight into numpy
    return conn.connection.driver_connection


def combine(shares: list[Shares], recruit: int) -> tuple[np.ndarray, np.ndarray]:
    """Candidate chunk ids (ascending) and their summed scores.

    The candidates are the chunks holding a word of the first ``recruit`` shares; every
    share then adds to the candidates holding its word, in list order (FTS5's order for a
    query that lists the words so), so each sum is the multi-word query's bm25 exactly.
    """
    if not shares or recruit <= 0:
        return np.empty(0, np.int64), np.empty(0, np.float64)
    ids = np.unique(np.concatenate([s.ids for s in shares[:recruit]]))
    total = np.zeros(len(ids), np.float64)
    for share in shares:
        pos = np.searchsorted(ids, share.ids)
        held = pos < len(ids)
        held[held] = ids[pos[held]] == share.ids[held]
        total[pos[held]] += share.scores[held]
    return ids, total


def best(ids: np.ndarray, scores: np.ndarray, n: int) -> list[tuple[int, float]]:
    """The top ``n`` of ``(ids, scores)`` by score, ties by id, best first."""
    if len(ids) > n:
        cut = np.partition(scores, len(scores) - n)[len(scores) - n]
        keep = np.nonzero(scores >= cut)[0]  # every tie at the cut, then sorted below
        ids, scores = ids[keep], scores[keep]
    order = np.lexsort((ids, -scores))[:n]
    return [(int(i), float(s)) for i, s in zip(ids[order], scores[order], strict=True)]


__all__ = [
    "BM25",
    "MAX_CACHED_ROWS",
    "SUBJECT_WEIGHT",
    "Counts",
    "Shares",
    "TermCounts",
    "Totals",
    "best",
    "combine",
    "phrase",
    "shares",
    "varints",
]
