"""What ``ask`` returns, typed: an :class:`Answer` with its citations and sources.

One shape for the library (:func:`rrag.llm.ask`), ``rrag ask --json`` and ``POST
/v1/ask`` (the OpenAPI schema documents it from these classes). Both answerers cite the
same way: ``[n]`` in the answer text points at the :class:`Citation` whose ``ref`` is n.
"""

from __future__ import annotations

import msgspec


class Citation(msgspec.Struct, frozen=True, kw_only=True):
    """A source an answer sentence rests on, and the sentence of it quoted verbatim."""

    ref: int  # the n of the ``[n]`` markers in the answer
    issue_id: int | None  # None for a wiki page
    journal_id: int | None  # the note cited, None for the issue's description
    url: str
    quote: str


class Source(msgspec.Struct, frozen=True, kw_only=True):
    """A retrieved issue or wiki page the answer was drawn from (best first)."""

    issue_id: int | None
    wiki_title: str | None
    subject: str
    url: str
    score: float


class GuardrailCounts(msgspec.Struct, frozen=True, kw_only=True):
    """Guardrail events this answer recorded, per kind (:data:`rrag.guardrails.KINDS`)."""

    prompt_injection: int = 0
    ungrounded_claim: int = 0
    schema_violation: int = 0
    unsafe_content: int = 0


class Answer(msgspec.Struct, frozen=True, kw_only=True):
    """An answer to one question.

    ``answerer`` is the model's provider, ``extractive`` (quoted sentences) or
    ``guardrail`` (a refused instruction); ``fallback_reason`` says why a configured
    model's answer was replaced by quotes (``llm_unavailable``, ``llm_timeout``,
    ``schema_violation``, ``ungrounded``) or why nothing was retrieved
    (``prompt_injection``). ``withheld`` lists the retrieved sources left out because
    they read like planted instructions; ``retrieval_mode`` is the mode retrieval really
    ran (``none`` when the question was refused).
    """

    question: str
    answer: str
    answerer: str
    grounded: bool
    abstained: bool
    fallback_reason: str | None
    citations: list[Citation]
    sources: list[Source]
    guardrails: GuardrailCounts
    withheld: list[str]
    retrieval_mode: str
    took_ms: float


__all__ = ["Answer", "Citation", "GuardrailCounts", "Source"]
