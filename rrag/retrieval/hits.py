"""What a search returns, typed: :class:`SearchResults` of :class:`SearchHit` results.

One shape for the library, ``rrag search --json`` / ``rrag similar --json`` and
``POST /v1/search`` / ``GET /v1/issues/{id}/similar`` (the OpenAPI schema documents it
from these classes). A result is one issue or wiki page; its best chunk gives the URL
and snippet, and the other matching chunks ride along in ``chunks``
(:func:`rrag.retrieval.results.group`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import msgspec

from rrag.retrieval.query import Mode

#: the retrievers that can find a chunk; ``reference``: the query named the issue (``#12``)
Finder = Literal["lexical", "vector", "reference"]


class ChunkHit(msgspec.Struct, frozen=True, kw_only=True):
    """One matching chunk of a result (the first one leads it)."""

    chunk_id: int
    kind: str  # issue | note | wiki | extract
    url: str
    score: float


class SearchHit(msgspec.Struct, frozen=True, kw_only=True):
    """One issue or wiki page; ``similarity`` is its best chunk's raw vector score
    (cosine, comparable across queries; None when no chunk of it was a vector hit)."""

    issue_id: int | None  # None for a wiki page
    subject: str
    project_id: int
    project: str | None
    tracker: str | None
    status: str | None
    kind: str
    wiki_title: str | None
    score: float
    url: str
    #: a window of the best chunk around the first query term, terms marked ``**so**``
    snippet: str
    matched_by: list[Finder]
    chunks: list[ChunkHit]
    similarity: float | None = None


class SearchResults(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A search's answer. ``note`` (nothing to search for) and ``degraded`` (hybrid fell
    back to lexical, and why) appear only when they apply."""

    mode: Mode
    took_ms: float
    results: list[SearchHit]
    note: str | None = None
    degraded: str | None = None

    @property
    def ran(self) -> Mode:
        """The mode retrieval really ran: ``lexical`` when a hybrid search was degraded."""
        return "lexical" if self.degraded else self.mode


def search_results(found: Mapping[str, Any]) -> SearchResults:
    """A search's answer decoded from its JSON mapping (``POST /v1/search``'s body, ``rrag
    search --json``'s output) into the type :meth:`rrag.retrieval.Retriever.search`
    returns (validated: a missing or mistyped field raises ``msgspec.ValidationError``)."""
    return msgspec.convert(found, SearchResults)


__all__ = ["ChunkHit", "Finder", "SearchHit", "SearchResults", "search_results"]
