"""Lexical search on tantivy: the analyzer, the query built from user text and filters.

The lexical index (``chunks.lexical/`` in the data dir, :mod:`rrag.index.textindex`) holds
each chunk's subject and text in one analysed ``body`` field (:data:`ANALYZER`), and the
columns the filters read. This module turns a search into one tantivy query and reads back
``(chunk id, bm25)``:

* user text never reaches a query parser: it is cut into word tokens
  (:func:`query_terms`), each analysed like the index's text, and every resulting term
  becomes a term query on the body, OR-ed so a long conversational query still finds
  chunks sharing some of its words;
* the scores are FTS5's ``bm25(chunks_fts, 2.0, 1.0)`` as far as the engine allows
  (:func:`text_clauses`): the body holds the subject :data:`SUBJECT_WEIGHT` times, so a
  term's frequency is FTS5's weighted one (2 per subject hit, 1 per text hit) under one
  length norm and one document frequency per chunk, and each term's clause is boosted by
  FTS5's idf over tantivy's (:func:`idf_ratio`), so a word in half the chunks weighs
  nothing, as it did. What differs: the length is the weighted one (FTS5 counted the
  subject once) and tantivy stores it rounded (its one-byte field norms);
* the caller's visibility and the user's filters (:class:`Rules`, which retrieval's
  ``Filters`` satisfies) become zero-scored ``Must`` clauses of the same query
  (:func:`filter_clauses`), so they apply inside the engine before its top-k cut.

Snippet marking and "which query words does this chunk's own text say" use the same
analyzer (:func:`highlight`, :func:`body_terms`), so stemming and folding agree with the
search.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from functools import cache, lru_cache
from typing import Protocol

import tantivy
from tantivy import Occur, Query

from rrag.index.hashing import STOP_WORDS

MAX_TERMS = 32


class Rules(Protocol):
    """What a lexical search filters on besides projects (retrieval's ``Filters`` has it)."""

    @property
    def see_private(self) -> bool: ...
    @property
    def tracker(self) -> str | None: ...
    @property
    def status(self) -> str | None: ...
    @property
    def updated_since(self) -> str | None: ...


#: the subject's copies in a chunk's body: a hit in the subject says more than one deep in
#: a note (FTS5 weighted the subject column 2.0)
SUBJECT_WEIGHT = 2
#: FTS5 left out a query word this common (and in at least half the chunks: no weight)
#: unless the query had nothing else; below it such a word still matches, at no weight
COMMON_MIN_ROWS = 2_000
_TOKEN = re.compile(r"\w+", re.UNICODE)

#: the analyzer of the subject and text fields, by name: ``folded_en`` is Unicode words,
#: lower-cased, diacritics folded to ASCII, English (Porter 2) stems, as FTS5's ``porter
#: unicode61 remove_diacritics 2`` was; ``en_stem`` is tantivy's own (no folding). One
#: constant so the quality benchmark can switch it; an index built with another analyzer
#: is of another ``textindex.FORMAT``, so the next indexer run rebuilds it from the store.
ANALYZER = "folded_en"


@cache
def analyzer(name: str = ANALYZER) -> tantivy.TextAnalyzer:
    """The text analyzer registered under ``name`` (built once per process)."""
    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(
        tantivy.Filter.remove_long(40)
    )
    builder = builder.filter(tantivy.Filter.lowercase())
    if name == "folded_en":
        builder = builder.filter(tantivy.Filter.ascii_fold())
    return builder.filter(tantivy.Filter.stemmer("english")).build()


def query_terms(query: str) -> list[str]:
    """Distinct lower-case word tokens; stop words dropped unless nothing else is left."""
    tokens = list(dict.fromkeys(t.lower() for t in _TOKEN.findall(query)))
    content = [t for t in tokens if t not in STOP_WORDS]
    return (content or tokens)[:MAX_TERMS]


def stems(query: str) -> list[str]:
    """The index terms ``query`` searches for: its words, analysed as the index's text."""
    return list(_stems(query))


@lru_cache(maxsize=1024)
def _stems(query: str) -> tuple[str, ...]:
    # one search asks for its query's stems about twenty times (the engine query, each
    # result's snippet and highlights), each an analyzer call per word
    found: dict[str, None] = {}
    for term in query_terms(query):
        found.update(dict.fromkeys(analyzer().analyze(term)))
    return tuple(found)[:MAX_TERMS]


def fts5_idf(df: int, n: int) -> float:
    """FTS5's idf of a term in ``df`` of ``n`` rows, floored at 1e-6 as its bm25 does."""
    idf = math.log((n - df + 0.5) / (df + 0.5)) if n > df else 0.0
    return idf if idf > 0.0 else 1e-6


def tantivy_idf(df: int, n: int) -> float:
    """tantivy's bm25 idf (``tantivy::query::bm25::idf``), never below ``log(1 + 0.5/n)``."""
    return math.log(1.0 + (max(n - df, 0) + 0.5) / (df + 0.5))


def idf_ratio(df: int, n: int) -> float:
    """The boost that turns tantivy's idf of a term into FTS5's (``n``: tantivy's count)."""
    # tantivy counts the generation document among its n; FTS5 had one row per chunk
    return fts5_idf(df, max(n - 1, 0)) / tantivy_idf(df, n)


def weighted_terms(searcher: tantivy.Searcher, terms: list[str]) -> list[tuple[str, float]]:
    """``terms`` with their :func:`idf_ratio` boosts; the words FTS5 left out (in more than
    :data:`COMMON_MIN_ROWS` chunks and at least half of them) dropped unless all are."""
    n = searcher.num_docs
    freqs = [(term, searcher.doc_freq("body", term)) for term in terms]
    kept = [(t, df) for t, df in freqs if not (df > COMMON_MIN_ROWS and 2 * df >= n - 1)]
    return [(t, idf_ratio(df, n)) for t, df in kept or freqs if df]


def text_clauses(
    schema: tantivy.Schema, terms: list[tuple[str, float]]
) -> list[tuple[Occur, Query]]:
    """Any of ``terms`` (term, boost) in the body: bm25 sums what matches."""
    return [
        (
            Occur.Should,
            Query.boost_query(Query.term_query(schema, "body", t, index_option="freq"), boost),
        )
        for t, boost in terms
    ]


def epoch(value: str | None) -> int | None:
    """An ISO ``updated_on`` as UTC seconds (None when absent or unreadable)."""
    if not value:
        return None
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


def _only(query: Query) -> tuple[Occur, Query]:
    # a filter adds nothing to the score: the ranking is bm25 alone
    return (Occur.Must, Query.const_score_query(query, 0.0))


def filter_clauses(
    schema: tantivy.Schema, filters: Rules, projects: frozenset[int], present: frozenset[int]
) -> list[tuple[Occur, Query]]:
    """The rules of retrieval's ``Filters.sql`` as tantivy clauses.

    ``projects`` (non-empty) are those the caller may see, ``present`` every project the
    searched commit holds. The projects are excluded (``MustNot``) when fewer are hidden
    than shown, the usual case: exclusions keep tantivy's top-k pruning of the text
    clauses, where a required clause makes it score every matching chunk.
    """
    hidden = present - projects
    if len(hidden) <= len(projects):
        clauses = [(Occur.MustNot, Query.term_query(schema, "project_id", p)) for p in hidden]
    else:
        clauses = [_only(Query.term_set_query(schema, "project_id", sorted(projects)))]
    if not filters.see_private:
        clauses.append((Occur.MustNot, Query.term_query(schema, "is_private", True)))
    if filters.tracker:
        clauses.append(_only(Query.term_query(schema, "tracker", filters.tracker.lower())))
    if filters.status:
        closed = filters.status == "closed"
        clauses.append(_only(Query.term_query(schema, "is_closed", closed)))
    if filters.updated_since:
        since = epoch(filters.updated_since)
        field = tantivy.FieldType.Integer
        clauses.append(_only(Query.range_query(schema, "updated", field, lower_bound=since)))
    return clauses


def search(
    searcher: tantivy.Searcher,
    schema: tantivy.Schema,
    query: str,
    limit: int,
    filters: Rules,
    scope: tuple[frozenset[int], frozenset[int]],
) -> list[tuple[int, float]]:
    """Top ``limit`` (chunk id, bm25) the caller may see, best first, ties by chunk id;
    ``scope`` is (the projects the caller may see, every project ``searcher`` holds)."""
    projects, present = scope
    terms = weighted_terms(searcher, stems(query)) if projects and limit > 0 else []
    if not terms:
        return []
    text = text_clauses(schema, terms)
    rules = filter_clauses(schema, filters, projects, present)
    if all(occur == Occur.MustNot for occur, _ in rules):
        # the text clauses beside the exclusions, in one query: top-k pruning stays on
        engine_query = Query.boolean_query([*text, *rules])
    else:
        engine_query = Query.boolean_query([(Occur.Must, Query.boolean_query(text)), *rules])
    hits = searcher.search(engine_query, limit, count=False).hits
    if not hits:
        return []
    ids = searcher.fast_field_values("chunk_id", [address for _, address in hits])
    found = [(int(i), float(s)) for (s, _), i in zip(hits, ids, strict=True) if i is not None]
    return sorted(found, key=lambda hit: (-hit[1], hit[0]))


def body_terms(query: str, texts: Mapping[int, str]) -> dict[int, set[str]]:
    """The query words each chunk's own text (``texts``: chunk id -> text) matches.

    Every chunk of an issue carries the issue's subject (so a note is found in its issue's
    context); this tells what a chunk itself says about the query, stemmed as the search.
    """
    words = {term: set(analyzer().analyze(term)) for term in query_terms(query)}
    found: dict[int, set[str]] = {}
    for chunk_id, text in texts.items():
        held = set(analyzer().analyze(text or ""))
        found[int(chunk_id)] = {term for term, forms in words.items() if forms & held}
    return found


def highlight(text: str, query: str, limit: int | None = None) -> list[tuple[int, int]]:
    """Character spans of ``text``'s words that match a query word as the search matches
    them (the same analyzer), sorted; words under 3 letters are not marked.

    Regular expressions find the candidates in C (one scan for the words starting with a
    query stem, any case, ``y`` for a final ``i``; and, to mark a window, one for every
    word with a non-ASCII letter, which may fold to a stem: "Café"); the analyzer confirms
    each, so a long text costs a scan or two, not a Python loop over its words. With
    ``limit``, only the first ``limit`` spans are sought, among the stem matches (where to
    open a snippet).
    """
    wanted = {t for t in stems(query) if len(t) >= 3 or t.isdigit()}
    if not wanted:
        return []
    patterns = [_stems_pattern(tuple(sorted(wanted)))]
    if limit is None:
        patterns.append(_ACCENTED)
    found: set[tuple[int, int]] = set()
    for pattern in patterns:
        mine = 0  # in text order: the first ``limit`` confirmed are the first overall
        for match in pattern.finditer(text):
            if limit is not None and mine >= limit:
                break
            if wanted.intersection(analyzer().analyze(match.group(0))):
                found.add(match.span())
                mine += 1
    spans = sorted(found)
    return spans if limit is None else spans[:limit]


@lru_cache(maxsize=1024)
def _stems_pattern(stems: tuple[str, ...]) -> re.Pattern[str]:
    """Words starting with any of ``stems``, any case (Porter turns a final y into i:
    "queri"), in one scan; the ``\\w*`` after each makes the span the whole word whichever
    stem matched."""
    heads = [re.escape(s[:-1]) + "[iy]" if s.endswith("i") else re.escape(s) for s in stems]
    return re.compile(r"\b(?:" + "|".join(heads) + r")\w*", re.IGNORECASE)


#: a word holding a non-ASCII letter (compiled once: a class over a Unicode range is slow
#: to compile)
_ACCENTED = re.compile(r"\w*[^\W\x00-\x7f]\w*")


__all__ = [
    "ANALYZER",
    "COMMON_MIN_ROWS",
    "MAX_TERMS",
    "SUBJECT_WEIGHT",
    "Rules",
    "analyzer",
    "body_terms",
    "epoch",
    "filter_clauses",
    "fts5_idf",
    "highlight",
    "idf_ratio",
    "query_terms",
    "search",
    "stems",
    "tantivy_idf",
    "text_clauses",
    "weighted_terms",
]
