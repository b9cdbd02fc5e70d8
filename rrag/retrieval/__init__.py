"""Retrieval: hybrid search, similar issues, visibility and the evaluation harness."""

from rrag.retrieval.caller import Caller
from rrag.retrieval.query import MAX_K, MAX_QUERY_CHARS, MODES
from rrag.retrieval.retriever import Retriever

__all__ = ["MAX_K", "MAX_QUERY_CHARS", "MODES", "Caller", "Retriever"]
