"""The extractive answerer (``LLM_PROVIDER=none``): quote the best retrieved sentences.

Nothing is generated, so nothing can be made up: the answer is a few sentences taken
verbatim from the top retrieved passages, each followed by a ``[n]`` marker that points
to a citation (the issue or note URL in Redmine). A passage that reads like an injected
instruction (:func:`rrag.guardrails.find_injection`) is never quoted; it is reported in
``flags`` so the caller can record a guardrail event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rrag.guardrails import find_injection

MAX_SENTENCES = 3
MAX_SENTENCE_CHARS = 400
NO_ANSWER = "No passage in the retrieved issues answers this question."
_WORD = re.compile(r"[a-z0-9_]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_STOPWORDS = frozenset(
    (  # noqa: SIM905 - a word list reads best as one string
        "the and for with that this from what when where which who why how are was were is "
        "does did has have had can could should would will not but any all our your their "
        "there here into onto about than then them they you its it's been being"
    ).split()
)


@dataclass(frozen=True)
class Passage:
    """A retrieved piece of text and where it lives; ``rank`` is its issue's search rank."""

    issue_id: int | None  # None for a wiki page
    url: str
    subject: str
    text: str
    rank: int
    journal_id: int | None = None


@dataclass(frozen=True)
class Flag:
    kind: str
    source: str
    pattern: str


@dataclass
class Draft:
    answer: str
    grounded: bool
    citations: list[dict[str, Any]] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)


def terms(text: str) -> set[str]:
    """Content words of ``text`` (lowercase, 3+ characters, no stopwords)."""
    return {w for w in _WORD.findall(text.lower()) if len(w) >= 3 and w not in _STOPWORDS}


def _stem(word: str) -> str:
    return word[:5]  # crude but predictable: "crashes"/"crashing" meet at "crash"


def _score(question_terms: set[str], sentence: str, rank: int) -> float:
    stems = {_stem(w) for w in terms(sentence)}
    hits = sum(1 for t in question_terms if _stem(t) in stems)
    return 0.0 if hits == 0 else hits + 0.5 / (1 + rank)


def passage_sentences(passage: Passage) -> list[str]:
    texts = [passage.subject] if passage.journal_id is None and passage.subject else []
    texts += [s.strip() for s in _SENTENCE_END.split(passage.text) if s.strip()]
    return [s[:MAX_SENTENCE_CHARS] for s in texts if len(s) >= 12]


def source_of(passage: Passage) -> str:
    if passage.issue_id is None:
        return passage.url
    suffix = f"#change-{passage.journal_id}" if passage.journal_id else ""
    return f"issue:{passage.issue_id}{suffix}"


def safe_passages(passages: list[Passage]) -> tuple[list[Passage], list[Flag]]:
    safe, flags = [], []
    for passage in passages:
        pattern = find_injection(f"{passage.subject}\n{passage.text}")
        if pattern:
            flags.append(Flag("prompt_injection", source_of(passage), pattern))
        else:
            safe.append(passage)
    return safe, flags


def answer_extractively(
    question: str, passages: list[Passage], max_sentences: int = MAX_SENTENCES
) -> Draft:
    """Quote up to ``max_sentences`` sentences that share the most words with ``question``."""
    wanted = terms(question)
    safe, flags = safe_passages(passages)
    scored = [
        (_score(wanted, s, p.rank), n, s, p)
        for n, p in enumerate(safe)
        for s in passage_sentences(p)
    ]
    best = sorted((x for x in scored if x[0] > 0), key=lambda x: (-x[0], x[1]))
    chosen: list[tuple[str, Passage]] = []
    for *_rank, sentence, passage in best:
        if sentence not in {s for s, _ in chosen}:
            chosen.append((sentence, passage))
        if len(chosen) == max_sentences:
            break
    if not chosen:
        return Draft(NO_ANSWER, grounded=False, flags=flags)
    return _draft(chosen, flags)


def _draft(chosen: list[tuple[str, Passage]], flags: list[Flag]) -> Draft:
    refs: dict[str, int] = {}
    citations: list[dict[str, Any]] = []
    parts = []
    for sentence, passage in chosen:
        if passage.url not in refs:
            refs[passage.url] = len(refs) + 1
            citations.append(
                {
                    "ref": refs[passage.url],
                    "issue_id": passage.issue_id,
                    "journal_id": passage.journal_id,
                    "url": passage.url,
                    "quote": sentence,
                }
            )
        end = "" if sentence.endswith((".", "!", "?")) else "."
        parts.append(f"{sentence}{end} [{refs[passage.url]}]")
    return Draft(" ".join(parts), grounded=True, citations=citations, flags=flags)


__all__ = [
    "NO_ANSWER",
    "Draft",
    "Flag",
    "Passage",
    "answer_extractively",
    "passage_sentences",
    "safe_passages",
    "source_of",
    "terms",
]
