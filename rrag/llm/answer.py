"""``ask``: retrieve, answer from the retrieved chunks, record what the guardrails caught.

The one implementation behind ``rrag ask`` and ``POST /v1/ask``. Retrieval applies the
caller's visibility and names the chunks each result matched; the answer quotes those
chunks (privacy re-checked on every row read).
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from sqlalchemy import bindparam, text

from rrag.errors import InputError
from rrag.guardrails import record_event
from rrag.llm.extractive import Passage, answer_extractively
from rrag.retrieval.caller import Caller
from rrag.store.db import Store

MAX_QUESTION_CHARS = 2_000
MAX_PASSAGES_PER_RESULT = 10
_SOURCE_KEYS = ("issue_id", "wiki_title", "subject", "url", "score")


class SearchFn(Protocol):
    def __call__(
        self, query: str, k: int, mode: str, caller: Caller, project_ids: list[int] | None = None
    ) -> dict[str, Any]: ...


_CHUNKS_SQL = text(
    "SELECT id, issue_id, journal_id, url, subject, text FROM chunks "
    "WHERE id IN :ids AND (is_private = 0 OR :private)"
).bindparams(bindparam("ids", expanding=True))


def _ranked_chunk_ids(results: list[dict[str, Any]]) -> dict[int, int]:
    """Chunk id → rank of its result, for the chunks retrieval matched (best first)."""
    ranks: dict[int, int] = {}
    for rank, result in enumerate(results):
        for chunk in result.get("chunks", [])[:MAX_PASSAGES_PER_RESULT]:
            ranks.setdefault(int(chunk["chunk_id"]), rank)
    return ranks


def load_passages(store: Store, results: list[dict[str, Any]], caller: Caller) -> list[Passage]:
    """The retrieved chunks' text in retrieval order (visibility re-checked on each row)."""
    ranks = _ranked_chunk_ids(results)
    if not ranks:
        return []
    with store.engine.connect() as conn:
        rows = conn.execute(_CHUNKS_SQL, {"ids": list(ranks), "private": caller.see_private})
        by_id = {
            int(cid): Passage(
                issue_id, str(url), str(subject or ""), str(body or ""), ranks[int(cid)], journal
            )
            for cid, issue_id, journal, url, subject, body in rows
        }
    return [by_id[cid] for cid in ranks if cid in by_id]


def _check(question: str, k: int) -> str:
    question = question.strip()
    if not question:
        raise InputError("question must not be empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(f"question is longer than {MAX_QUESTION_CHARS} characters")
    if not 1 <= k <= 100:
        raise InputError(f"k must be between 1 and 100, got {k}")
    return question


def ask(
    store: Store,
    search: SearchFn,
    question: str,
    k: int,
    caller: Caller,
    project_ids: list[int] | None = None,
) -> dict[str, Any]:
    """Answer ``question`` from the top ``k`` issues; the shape of ``rrag ask --json``."""
    started = time.perf_counter()
    question = _check(question, k)
    found = search(question, k=k, mode="hybrid", caller=caller, project_ids=project_ids)
    results = list(found.get("results", []))
    draft = answer_extractively(question, load_passages(store, results, caller))
    for flag in draft.flags:
        record_event(store, flag.kind, flag.source, {"pattern": flag.pattern})
    return {
        "question": question,
        "answer": draft.answer,
        "grounded": draft.grounded,
        "answerer": "extractive",
        "citations": draft.citations,
        "sources": [{key: r.get(key) for key in _SOURCE_KEYS} for r in results],
        "guardrails": {"prompt_injection": sum(f.kind == "prompt_injection" for f in draft.flags)},
        "took_ms": round((time.perf_counter() - started) * 1000, 1),
    }


__all__ = ["MAX_QUESTION_CHARS", "SearchFn", "ask", "load_passages"]
