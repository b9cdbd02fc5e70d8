"""``ask``: retrieve, answer (generatively or by quoting), record what the guardrails caught.

The one implementation behind ``rrag ask`` and ``POST /v1/ask``. Retrieval applies the
caller's visibility and names the chunks each result matched; the answer is built from
those chunks only (privacy re-checked on every row read):

1. nothing relevant retrieved (:mod:`rrag.llm.abstain`) → an abstention, no sources;
2. ``LLM_PROVIDER`` set → :func:`rrag.llm.generative.answer_generatively`, whose every
   failure falls back to step 3 with a ``fallback_reason``;
3. otherwise the extractive answerer quotes the best retrieved sentences.

A question that reads like an instruction to the assistant (a direct prompt injection,
:func:`rrag.guardrails.injection_rules`) is refused before retrieval: the answer names the
rule and shows no source, so nothing private can leak through it.

Guardrail events (injected text, ungrounded sentences, broken replies) are recorded in
the store and counted per kind in the answer's ``guardrails``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import bindparam, text

from rrag.errors import InputError
from rrag.guardrails import KINDS, injection_rules, mask_secrets, record_event
from rrag.llm.abstain import ABSTAIN_ANSWER, nothing_relevant
from rrag.llm.answerer import Answerer, Said
from rrag.llm.citations import Answer, GuardrailCounts, Source
from rrag.llm.extractive import NO_ANSWER, Passage, answer_extractively
from rrag.llm.generative import Outcome, answer_generatively
from rrag.logs import get_logger, log_event
from rrag.retrieval import query as qv
from rrag.retrieval.caller import Caller
from rrag.retrieval.hits import SearchHit, SearchResults
from rrag.store.db import Store

log = get_logger("llm.answer")
MAX_PASSAGES_PER_RESULT = 10
REFUSAL = (
    "Not answered: the question reads like an instruction to the assistant ({rule}), "
    "not a question about the issues. Ask about the issues themselves."
)


class SearchFn(Protocol):
    def __call__(
        self, query: str, k: int, mode: str, caller: Caller, project_ids: list[int] | None = None
    ) -> SearchResults: ...


_CHUNKS_SQL = text(
    "SELECT id, issue_id, journal_id, url, subject, text FROM chunks "
    "WHERE id IN :ids AND (is_private = 0 OR :private)"
).bindparams(bindparam("ids", expanding=True))


def _ranked_chunk_ids(results: Sequence[SearchHit]) -> dict[int, int]:
    """Chunk id → rank of its result, for the chunks retrieval matched (best first)."""
    ranks: dict[int, int] = {}
    for rank, result in enumerate(results):
        for chunk in result.chunks[:MAX_PASSAGES_PER_RESULT]:
            ranks.setdefault(chunk.chunk_id, rank)
    return ranks


_MASK = re.compile(r"\[masked:(\w+)\]")


def _masked(value: object) -> str:
    return mask_secrets(str(value or ""))[0]


def load_passages(store: Store, results: Sequence[SearchHit], caller: Caller) -> list[Passage]:
    """The retrieved chunks' text in retrieval order (visibility re-checked on each row)."""
    ranks = _ranked_chunk_ids(results)
    if not ranks:
        return []
    # a result's vector similarity: the extractive answerer's relevance bar
    sims = [r.similarity for r in results]
    with store.engine.connect() as conn:
        rows = conn.execute(_CHUNKS_SQL, {"ids": list(ranks), "private": caller.see_private})
        by_id = {
            int(cid): Passage(  # secrets masked here: no quote, citation or prompt shows one
                issue_id,
                str(url),
                _masked(subject),
                _masked(body),
                ranks[int(cid)],
                journal,
                sims[ranks[int(cid)]],
            )
            for cid, issue_id, journal, url, subject, body in rows
        }
    passages = [by_id[cid] for cid in ranks if cid in by_id]
    _record_masked(store, passages)
    return passages


def _record_masked(store: Store, passages: list[Passage]) -> None:
    """An unsafe_content event per passage whose secrets were masked (one per rule and
    source however often it is retrieved: see :mod:`rrag.guardrails.events`)."""
    for p in passages:
        rules = set(_MASK.findall(f"{p.subject}\n{p.text}"))
        where = p.url if p.issue_id is None else f"issue:{p.issue_id}"
        where += f"#change-{p.journal_id}" if p.journal_id else ""
        for rule in sorted(rules):
            record_event(store, "unsafe_content", where, {"rule": f"secret:{rule}"})


def _check(question: str, k: int) -> str:
    """The question stripped; the limits are the search's (:mod:`rrag.retrieval.query`)."""
    question = question.strip()
    if not question:
        raise InputError("question must not be empty", field="question")
    if len(question) > qv.MAX_QUERY_CHARS:
        raise InputError(
            f"question is longer than {qv.MAX_QUERY_CHARS} characters", field="question"
        )
    qv.check_k(k)
    return question


def _answer(answerer: Answerer, question: str, passages: list[Passage], events: list[Any]) -> Said:
    """What the configured answerer says, or the extractive one when it falls back."""
    outcome = Outcome(fallback_reason=answerer.unavailable)
    if answerer.model is not None:
        outcome = answer_generatively(answerer.model, question, passages, answerer.max_tokens)
        events += outcome.events
        if outcome.fallback_reason is None:  # a fallback quotes and scans every passage
            events += [(f.kind, f.source, {"pattern": f.pattern}) for f in outcome.flags]
        if outcome.error:
            log_event(
                log,
                "llm_fallback",
                logging.WARNING,
                reason=outcome.fallback_reason,
                error=outcome.error,
            )
        if outcome.fallback_reason is None:
            return Said(
                answer=ABSTAIN_ANSWER if outcome.abstained else outcome.answer,
                answerer=answerer.model.provider,
                grounded=bool(outcome.citations),
                abstained=outcome.abstained,
                fallback_reason=None,
                citations=outcome.citations,
            )
    draft = answer_extractively(question, passages, relevant_at=answerer.relevant_at)
    events += [(f.kind, f.source, {"pattern": f.pattern}) for f in draft.flags]
    return Said(
        answer=draft.answer,
        answerer="extractive",
        grounded=draft.grounded,
        abstained=draft.answer == NO_ANSWER,
        fallback_reason=outcome.fallback_reason,
        citations=draft.citations,
    )


def ask(
    store: Store,
    search: SearchFn,
    question: str,
    k: int,
    caller: Caller,
    project_ids: list[int] | None = None,
    answerer: Answerer | None = None,
) -> Answer:
    """Answer ``question`` from the top ``k`` issues (``rrag ask``, ``POST /v1/ask``)."""
    started = time.perf_counter()
    answerer = answerer or Answerer()
    question = _check(question, k)
    flagged = injection_rules(question)
    if flagged:  # a direct injection: refused before retrieval, so nothing private is shown
        return _refuse(store, question, flagged, started)
    found = search(question, k=k, mode="hybrid", caller=caller, project_ids=project_ids)
    results, mode = found.results, found.ran
    events: list[tuple[str, str, dict[str, Any]]] = []
    if nothing_relevant(results, mode, answerer.abstain_score):
        said = answerer.abstention(ABSTAIN_ANSWER)
    else:
        said = _answer(answerer, question, load_passages(store, results, caller), events)
    for kind, source, detail in events:
        record_event(store, kind, source, detail)
    counted = Counter(kind for kind, _, _ in events)
    shown = [] if said.abstained else results
    result = Answer(
        question=question,
        answer=said.answer,
        answerer=said.answerer,
        grounded=said.grounded,
        abstained=said.abstained,
        fallback_reason=said.fallback_reason,
        citations=said.citations,
        sources=[_source(r) for r in shown],
        guardrails=GuardrailCounts(**{kind: counted[kind] for kind in KINDS if kind in counted}),
        # retrieved passages left out because they read like planted instructions
        withheld=sorted({src for kind, src, _ in events if kind == "prompt_injection"}),
        retrieval_mode=mode,
        took_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    _log(result, len(results))
    return result


def _source(hit: SearchHit) -> Source:
    return Source(
        issue_id=hit.issue_id,
        wiki_title=hit.wiki_title,
        subject=hit.subject,
        url=hit.url,
        score=hit.score,
    )


def _refuse(store: Store, question: str, rules: list[str], started: float) -> Answer:
    """The answer to a question that reads like an instruction to the assistant: a refusal
    naming the rule, no retrieval, no sources; one event per distinct question."""
    digest = hashlib.sha256(" ".join(question.lower().split()).encode()).hexdigest()[:16]
    record_event(
        store, "prompt_injection", f"question:{digest}", {"pattern": rules[0], "rules": rules}
    )
    result = Answer(
        question=question,
        answer=REFUSAL.format(rule=rules[0]),
        answerer="guardrail",
        grounded=False,
        abstained=True,
        fallback_reason="prompt_injection",
        citations=[],
        sources=[],
        guardrails=GuardrailCounts(prompt_injection=1),
        withheld=[],
        retrieval_mode="none",
        took_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    _log(result, 0)
    return result


def _log(result: Answer, retrieved: int) -> None:
    # the question itself is not logged: it can carry what a user would not want kept
    log_event(
        log,
        "ask_answered",
        retrieval_mode=result.retrieval_mode,
        answerer=result.answerer,
        fallback_reason=result.fallback_reason,
        abstained=result.abstained,
        grounded=result.grounded,
        retrieved=retrieved,
        citations=len(result.citations),
        took_ms=result.took_ms,
    )


__all__ = ["SearchFn", "ask", "load_passages"]
