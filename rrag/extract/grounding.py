"""Keep only what the issue's own text supports.

An error signature must occur in the issue text (case and spacing aside): it is meant to
be copied, and a search for an invented one would find this issue for nothing. In every
other field, each *exact token* (numbers, versions, identifiers, error codes, file names:
:func:`rrag.llm.grounding.exact_tokens`, plus anything quoted in backticks, a small
model's favourite place for an invented command) must occur in the text too, and at
least :data:`~rrag.llm.grounding.MIN_OVERLAP` of its content words, the rule the
answers' sentences follow (SmolLM2 otherwise copies the prompt's own field descriptions,
"One or two sentences", into the fields). What fails is dropped (a list item, or a text
field blanked) and reported as one ``ungrounded_claim``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rrag.extract.schema import FIELDS, LIST_FIELDS, Fields
from rrag.llm.extractive import terms
from rrag.llm.grounding import MIN_OVERLAP, exact_tokens, overlap

_QUOTED = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Claim:
    """One dropped value: which field, and the tokens the issue does not contain."""

    field: str
    missing: tuple[str, ...]


def _flat(text: str) -> str:
    return " ".join(text.lower().split())


def _occurs(token: str, text: str) -> bool:
    """``token`` in ``text`` as a whole token (``5.1`` is not found in ``5.1.2``)."""
    pattern = r"(?<![\w.])" + re.escape(token) + r"(?![\w]|\.\w)"
    return re.search(pattern, text) is not None


def missing_tokens(value: str, text: str) -> tuple[str, ...]:
    """The exact tokens of ``value`` that ``text`` (lowercase, flattened) lacks."""
    quoted = {_flat(q) for q in _QUOTED.findall(value) if q.strip()}
    missing = {t for t in exact_tokens(value) if not _occurs(t, text)}
    return tuple(sorted(missing | {q for q in quoted if q not in text}))


def _check(field: str, value: str, text: str) -> Claim | None:
    if field == "error_signatures":
        return None if _flat(value) in text else Claim(field, (value[:80],))
    missing = missing_tokens(value, text)
    if missing:
        return Claim(field, missing[:5])
    share = overlap(value, text) if terms(value) else 1.0  # only exact tokens: checked
    return Claim(field, (f"{share:.0%} of its words",)) if share < MIN_OVERLAP else None


def ground(fields: Fields, issue_text: str) -> tuple[Fields, list[Claim]]:
    """``fields`` with every unsupported value dropped, and what was dropped."""
    text = _flat(issue_text)
    kept: Fields = {}
    claims: list[Claim] = []
    for name in FIELDS:
        values = fields[name] if name in LIST_FIELDS else [fields[name]]
        good = []
        for value in values:
            claim = _check(name, value, text) if value else None
            if claim is None:
                good.append(value)
            else:
                claims.append(claim)
        kept[name] = good if name in LIST_FIELDS else (good[0] if good else "")
    return kept, claims


__all__ = ["Claim", "ground", "missing_tokens"]
