"""Reading a model's reply: size limits, JSON parsing and validation against the schema.

The runtime asks the model for JSON constrained by :func:`rrag.llm.prompt.reply_schema`,
but a server may ignore the constraint, a small model may stop mid-object and a hostile
runtime may send megabytes: nothing here trusts the reply. :func:`parse_reply` returns
either a :class:`Reply` or a :class:`Violation` naming what was wrong (the caller asks
once for a repair, then records a ``schema_violation``). Citations to passages that were
not given are dropped here, sentence by sentence, and remembered in ``dropped``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from rrag.llm.prompt import MAX_CITATIONS, MAX_SENTENCE_CHARS, MAX_SENTENCES

#: a reply longer than this is refused before parsing (a real one is under ~3 kB)
MAX_REPLY_CHARS = 16_000
_KEYS = {"abstain", "sentences"}


@dataclass(frozen=True)
class Sentence:
    text: str
    #: passage numbers (1-based) within the passages given, deduplicated, in order
    citations: tuple[int, ...]
    #: citation numbers the model gave that name no passage given to it
    dropped: tuple[int, ...] = ()


@dataclass(frozen=True)
class Reply:
    abstain: bool
    sentences: list[Sentence] = field(default_factory=list)


@dataclass(frozen=True)
class Violation:
    """Why a reply was refused (one line, safe to log: no reply text)."""

    problem: str


def _load(raw: str) -> Any:
    if len(raw) > MAX_REPLY_CHARS:
        return Violation(f"reply of {len(raw)} characters exceeds {MAX_REPLY_CHARS}")
    try:
        return json.loads(raw)
    except RecursionError:  # deeply nested arrays/objects
        return Violation("reply nests too deeply")
    except ValueError:
        return Violation("reply is not JSON")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _sentence(item: Any, passages: int) -> Sentence | Violation:
    if not isinstance(item, dict) or set(item) != {"text", "citations"}:
        return Violation("a sentence is not an object with exactly text and citations")
    text, cites = item["text"], item["citations"]
    if not isinstance(text, str) or not text.strip():
        return Violation("a sentence's text is not a non-empty string")
    if len(text) > MAX_SENTENCE_CHARS:
        return Violation(f"a sentence is longer than {MAX_SENTENCE_CHARS} characters")
    if not isinstance(cites, list) or not all(_is_int(c) for c in cites):
        return Violation("a sentence's citations are not a list of integers")
    if len(cites) > MAX_CITATIONS:
        return Violation(f"a sentence has more than {MAX_CITATIONS} citations")
    kept = tuple(dict.fromkeys(c for c in cites if 1 <= c <= passages))
    dropped = tuple(dict.fromkeys(c for c in cites if not 1 <= c <= passages))
    return Sentence(" ".join(text.split()), kept, dropped)


def parse_reply(raw: str, passages: int) -> Reply | Violation:
    """Validate ``raw`` as a reply over ``passages`` numbered passages."""
    data = _load(raw)
    if isinstance(data, Violation):
        return data
    if not isinstance(data, dict) or set(data) != _KEYS:
        return Violation("reply is not an object with exactly abstain and sentences")
    abstain, items = data["abstain"], data["sentences"]
    if not isinstance(abstain, bool) or not isinstance(items, list):
        return Violation("abstain is not a boolean or sentences is not a list")
    if abstain:
        return Reply(abstain=True)
    if not items:
        return Violation("reply neither abstains nor gives a sentence")
    if len(items) > MAX_SENTENCES:
        return Violation(f"reply has more than {MAX_SENTENCES} sentences")
    sentences = []
    for item in items:
        sentence = _sentence(item, passages)
        if isinstance(sentence, Violation):
            return sentence
        sentences.append(sentence)
    return Reply(abstain=False, sentences=sentences)


__all__ = ["MAX_REPLY_CHARS", "Reply", "Sentence", "Violation", "parse_reply"]
