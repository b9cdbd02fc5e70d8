"""The generative answer: ask the model, keep only the sentences the passages support.

:func:`answer_generatively` gives the model the retrieved passages (injected text left
out, as the extractive answerer leaves it out) and reads its reply with
:func:`rrag.llm.reply.parse_reply`; a broken reply is asked to be repaired once. Each
sentence is then checked against the passages it cites (:mod:`rrag.llm.grounding`): an
unsupported one is dropped and reported as an ``ungrounded_claim``; a reply item holding
several sentences is checked sentence by sentence, and a repeated sentence shown once.
What survives is the answer, each sentence followed by ``[n]`` markers to citations.

Every way this can fail ends in the extractive answer with a ``fallback_reason``:
``llm_unavailable`` / ``llm_timeout`` (the runtime), ``schema_violation`` (no valid reply
after the repair), ``ungrounded`` (no sentence survived the check). The caller records
the guardrail events this returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rrag.errors import LLMError, LLMTimeout
from rrag.llm.citations import Citation
from rrag.llm.extractive import (
    Flag,
    Passage,
    passage_sentences,
    safe_passages,
    source_of,
    terms,
)
from rrag.llm.grounding import exact_tokens, overlap, unsupported
from rrag.llm.prompt import MAX_PROMPT_PASSAGES, build_messages, repair_message, reply_schema
from rrag.llm.reply import Reply, Sentence, Violation, parse_reply
from rrag.llm.runtime import ChatModel

#: characters of a bad reply echoed back to the model in the repair request
_ECHO_CHARS = 2_000
#: a piece with fewer content words and no exact token ("Yes.", a cut-off "The issue
#: is.") states nothing checkable: it is not shown
MIN_CLAIM_TERMS = 2
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass
class Outcome:
    """A generative answer, or why there is none (``fallback_reason``)."""

    answer: str = ""
    citations: list[Citation] = field(default_factory=list)
    abstained: bool = False
    fallback_reason: str | None = None
    #: the runtime's error, one secret-free line, for the log
    error: str | None = None
    #: guardrail events for the caller to record: (kind, source, detail)
    events: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)


def _ask_model(model: ChatModel, question: str, passages: list[Passage], max_tokens: int) -> Any:
    """The validated reply, or a Violation after one repair; LLMError passes through."""
    messages = build_messages(question, passages)
    schema = reply_schema(len(passages))
    raw = model.chat_json(messages, schema, max_tokens=max_tokens)
    parsed = parse_reply(raw, len(passages))
    if not isinstance(parsed, Violation):
        return parsed
    retry = [
        *messages,
        {"role": "assistant", "content": raw[:_ECHO_CHARS]},
        repair_message(parsed.problem),
    ]
    second = parse_reply(model.chat_json(retry, schema, max_tokens=max_tokens), len(passages))
    if isinstance(second, Violation):
        return Violation(f"{parsed.problem}; after repair: {second.problem}")
    return second


def answer_generatively(
    model: ChatModel, question: str, passages: list[Passage], max_tokens: int = 512
) -> Outcome:
    """Answer ``question`` from ``passages`` (retrieval order) with ``model``."""
    given, flags = _prompt_passages(passages)
    if not given:
        return Outcome(fallback_reason="ungrounded", flags=flags)
    try:
        reply = _ask_model(model, question, given, max_tokens)
    except LLMTimeout as exc:
        return Outcome(fallback_reason="llm_timeout", error=str(exc), flags=flags)
    except LLMError as exc:
        return Outcome(fallback_reason="llm_unavailable", error=str(exc), flags=flags)
    if isinstance(reply, Violation):
        event = ("schema_violation", f"llm:{model.provider}", {"problem": reply.problem})
        return Outcome(fallback_reason="schema_violation", events=[event], flags=flags)
    outcome = _checked(reply, given)
    outcome.flags = flags
    return outcome


def _prompt_passages(passages: list[Passage]) -> tuple[list[Passage], list[Flag]]:
    """The first MAX_PROMPT_PASSAGES passages without injected text, and the flags of
    those left out (passages past the last one given are not scanned: never used)."""
    given: list[Passage] = []
    flags: list[Flag] = []
    for passage in passages:
        safe, flagged = safe_passages([passage])
        given += safe
        flags += flagged
        if len(given) == MAX_PROMPT_PASSAGES:
            break
    return given, flags


def _checked(reply: Reply, given: list[Passage]) -> Outcome:
    """Keep the sentences their cited passages support; report the others."""
    if reply.abstain:
        return Outcome(abstained=True)
    kept: list[Sentence] = []
    events: list[tuple[str, str, dict[str, Any]]] = []
    for sentence in _claims(reply.sentences):
        cited = "\n".join(_text(given[n - 1]) for n in sentence.citations)
        why = unsupported(sentence.text, cited)
        if why is None:
            kept.append(sentence)
            continue
        detail = {"reason": why, "sentence": sentence.text[:300], "dropped": sentence.dropped}
        sources = ",".join(source_of(given[n - 1]) for n in sentence.citations) or "none"
        events.append(("ungrounded_claim", sources, detail))
    if not kept:
        return Outcome(fallback_reason="ungrounded", events=events)
    answer, citations = _compose(kept, given)
    return Outcome(answer=answer, citations=citations, events=events)


def _claims(sentences: list[Sentence]) -> list[Sentence]:
    """Each reply item cut into its sentences, each checked on its own (a small model
    packs several claims, or one claim repeated, into one item), repeats removed."""
    seen: set[str] = set()
    claims = []
    for item in sentences:
        for part in _SENTENCE_END.split(item.text):
            key = " ".join(part.lower().split())
            says = len(terms(part)) >= MIN_CLAIM_TERMS or exact_tokens(part)
            if says and key not in seen:
                seen.add(key)
                claims.append(Sentence(part.strip(), item.citations, item.dropped))
    return claims


def _text(passage: Passage) -> str:
    return f"{passage.subject}\n{passage.text}"


def _quote(passages: list[Passage], claims: list[str]) -> str:
    """The cited sentence sharing most words with the claims citing it (verbatim)."""
    said = " ".join(claims)
    candidates = [s for p in passages for s in passage_sentences(p)] or [passages[0].subject]
    return max(candidates, key=lambda s: overlap(s, said))


def _compose(kept: list[Sentence], given: list[Passage]) -> tuple[str, list[Citation]]:
    """The answer text with ``[ref]`` markers and one citation per cited URL (a long
    issue's chunks share one URL, so they share one citation)."""
    refs: dict[str, int] = {}
    claims: dict[str, list[str]] = {}
    cited: dict[str, list[Passage]] = {}
    parts = []
    for sentence in kept:
        marks = []
        for n in sentence.citations:
            passage = given[n - 1]
            marks.append(f"[{refs.setdefault(passage.url, len(refs) + 1)}]")
            if passage not in cited.setdefault(passage.url, []):
                cited[passage.url].append(passage)
            claims.setdefault(passage.url, []).append(sentence.text)
        end = "" if sentence.text.endswith((".", "!", "?")) else "."
        parts.append(f"{sentence.text}{end} {''.join(dict.fromkeys(marks))}")
    citations = [
        Citation(
            ref=ref,
            issue_id=cited[url][0].issue_id,
            journal_id=cited[url][0].journal_id,
            url=url,
            quote=_quote(cited[url], claims[url]),
        )
        for url, ref in refs.items()
    ]
    return " ".join(parts), citations


__all__ = ["Outcome", "answer_generatively"]
