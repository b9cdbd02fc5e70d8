"""The extractive answerer (``LLM_PROVIDER=none``): quote the best retrieved sentences.

Nothing is generated, so nothing can be made up: the answer is a few sentences taken
verbatim from the top retrieved passages, each followed by a ``[n]`` marker that points
to a citation (the issue or note URL in Redmine). A passage that reads like an injected
instruction (:func:`rrag.guardrails.find_injection`) is never quoted; it is reported in
``flags`` so the caller can record a guardrail event.

Which sentences: one per retrieved result (an issue with its notes, or a wiki page), in
the retriever's order, for the first ``MAX_SENTENCES`` results that are relevant: a
sentence shares a content word with the question, or the result's vector similarity
reaches the abstention threshold (the calibrated bar for "relevant",
:mod:`rrag.llm.abstain`). Within a result the sentence sharing most words is quoted, a
note's on a tie (a note is written after the report: it says what was found or done);
its citation points at that issue or note. One per result, not per note: an issue quoted
twice (its description and one of its notes) pushed the next issue or wiki page, often
the one holding the fix, out of the answer. The retriever ranks relevance better than
word overlap does: a question paraphrasing its issue ("right click a ticket" for "context
menu") shares no word with it, and ranking quotes by overlap alone cited the top-ranked
relevant issue less often than a lower-ranked one sharing a word (``RESULTS.md``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rrag.guardrails import find_injection
from rrag.llm.citations import Citation

MAX_SENTENCES = 3
MAX_SENTENCE_CHARS = 400
NO_ANSWER = "No passage in the retrieved issues answers this question."
_WORD = re.compile(r"[a-z0-9_]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
#: the line a note's field changes ride along as (``(status.id: 1 → 5; attachment.3: ∅ → a.log)``,
#: see :mod:`rrag.index.chunking`): searchable, but a record of edits, not a sentence to quote
_CHANGE_LINE = re.compile(r"\((?:[\w.-]+(?:: .*? → .*?| changed)(?:; |(?=\))))+\)")
#: Textile block markup at a line's start (``h3.``, list bullets ``#``/``*``, ``bq.``, ``>``)
_MARKUP = re.compile(r"^(?:h[1-6]\.|bq\.|p\.|[#*]+|>)\s+")
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
    #: the vector similarity of its search result (None: lexical only)
    similarity: float | None = None


@dataclass(frozen=True)
class Flag:
    kind: str
    source: str
    pattern: str


@dataclass
class Draft:
    answer: str
    grounded: bool
    citations: list[Citation] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)


def terms(text: str) -> set[str]:
    """Content words of ``text`` (lowercase, 3+ characters, no stopwords)."""
    return {w for w in _WORD.findall(text.lower()) if len(w) >= 3 and w not in _STOPWORDS}


def _stem(word: str) -> str:
    return word[:5]  # crude but predictable: "crashes"/"crashing" meet at "crash"


def _hits(question_terms: set[str], sentence: str) -> int:
    """How many question terms the sentence holds (compared by stem)."""
    stems = {_stem(w) for w in terms(sentence)}
    return sum(1 for t in question_terms if _stem(t) in stems)


def passage_sentences(passage: Passage) -> list[str]:
    """The sentences of ``passage`` a quote may be: its title (an issue's own chunks only)
    and its text's sentences, without block markup and without the field-change line."""
    texts = [passage.subject] if passage.journal_id is None and passage.subject else []
    for part in _SENTENCE_END.split(passage.text):
        sentence = _MARKUP.sub("", part.strip())
        if sentence and not _CHANGE_LINE.fullmatch(sentence):
            texts.append(sentence)
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
    question: str,
    passages: list[Passage],
    max_sentences: int = MAX_SENTENCES,
    relevant_at: float | None = None,
) -> Draft:
    """Quote the best sentence of each of the first ``max_sentences`` relevant results.

    Args:
        question: what was asked.
        passages: the retrieved passages, in retrieval order.
        max_sentences: at most this many results quoted.
        relevant_at: a result whose similarity reaches this is relevant even when it
            shares no word with the question (None: shared words only).
    """
    wanted = terms(question)
    safe, flags = safe_passages(passages)
    chosen: list[tuple[str, Passage]] = []
    for group in _by_result(safe):
        best = _best_sentence(wanted, group)
        if best is None or best[0] in {s for s, _ in chosen}:
            continue
        sentence, passage, hits = best
        if hits or _similar(passage, relevant_at):
            chosen.append((sentence, passage))
        if len(chosen) == max_sentences:
            break
    if not chosen:
        return Draft(NO_ANSWER, grounded=False, flags=flags)
    return _draft(chosen, flags)


def _by_result(passages: list[Passage]) -> list[list[Passage]]:
    """The passages grouped by search result (an issue and its notes; a wiki page), first
    seen first."""
    groups: dict[str, list[Passage]] = {}
    for passage in passages:
        key = passage.url if passage.issue_id is None else f"issue:{passage.issue_id}"
        groups.setdefault(key, []).append(passage)
    return list(groups.values())


def _best_sentence(wanted: set[str], group: list[Passage]) -> tuple[str, Passage, int] | None:
    """The result's sentence sharing most question terms (a note's, then the first, on a tie).

    A sentence of the description or a note sharing any term goes before the title: the
    title names the problem (often the question's own words, and the sources list it
    already) while the text says what was found or done about it.
    """
    candidates = [(s, p, _hits(wanted, s)) for p in group for s in passage_sentences(p)]

    def key(candidate: tuple[str, Passage, int]) -> tuple[bool, int, bool]:
        sentence, passage, hits = candidate
        return hits > 0 and sentence != passage.subject, hits, passage.journal_id is not None

    return max(candidates, key=key, default=None)


def _similar(passage: Passage, relevant_at: float | None) -> bool:
    if relevant_at is None or passage.similarity is None:
        return False
    return passage.similarity >= relevant_at


def _draft(chosen: list[tuple[str, Passage]], flags: list[Flag]) -> Draft:
    refs: dict[str, int] = {}
    citations: list[Citation] = []
    parts = []
    for sentence, passage in chosen:
        if passage.url not in refs:
            refs[passage.url] = len(refs) + 1
            citations.append(
                Citation(
                    ref=refs[passage.url],
                    issue_id=passage.issue_id,
                    journal_id=passage.journal_id,
                    url=passage.url,
                    quote=sentence,
                )
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
