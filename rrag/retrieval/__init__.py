"""Retrieval: hybrid search, similar issues, visibility and the evaluation harness.

:class:`Retriever` is imported on first use (PEP 562): the CLI reads the search limits
and modes (:mod:`rrag.retrieval.query`) while parsing arguments, and parsing must not
pay for NumPy and FAISS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rrag.retrieval.caller import Caller
from rrag.retrieval.hits import ChunkHit, SearchHit, SearchResults, search_results
from rrag.retrieval.query import MAX_K, MAX_QUERY_CHARS, MODES

if TYPE_CHECKING:
    from rrag.retrieval.retriever import Retriever


def __getattr__(name: str) -> Any:
    if name == "Retriever":
        from rrag.retrieval.retriever import Retriever

        return Retriever
    raise AttributeError(f"module 'rrag.retrieval' has no attribute {name!r}")


__all__ = [
    "MAX_K",
    "MAX_QUERY_CHARS",
    "MODES",
    "Caller",
    "ChunkHit",
    "Retriever",
    "SearchHit",
    "SearchResults",
    "search_results",
]
