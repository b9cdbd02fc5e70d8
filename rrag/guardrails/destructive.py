"""unsafe_content (destructive commands): an LLM answer must not tell the user to destroy data.

A command such as ``rm -rf``, ``DROP TABLE``, ``git push --force`` or ``mkfs`` in a
generated answer is flagged unless one of the answer's cited sources contains the same
kind of command (then the answer only repeats what the tracker already says, which the
citation shows). :func:`remove_destructive` drops the offending sentences. Patterns live in
``data/rules.toml`` (section ``destructive``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from rrag.guardrails.rules import raw_rules

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


@cache
def _rules() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((e["rule"], re.compile(e["pattern"])) for e in raw_rules()["destructive"])


def destructive_rules(text: str) -> list[str]:
    """The destructive-command rules ``text`` matches."""
    return [name for name, pattern in _rules() if pattern.search(text)]


def unsupported_destructive(answer: str, sources: Sequence[str]) -> list[str]:
    """Destructive-command rules in ``answer`` that none of ``sources`` matches."""
    cited = set(destructive_rules("\n".join(sources)))
    return [rule for rule in destructive_rules(answer) if rule not in cited]


def remove_destructive(answer: str, sources: Sequence[str]) -> tuple[str, list[str]]:
    """``answer`` without the sentences that carry an unsupported destructive command."""
    flagged = unsupported_destructive(answer, sources)
    if not flagged:
        return answer, []
    patterns = [p for name, p in _rules() if name in flagged]
    kept = [s for s in _SENTENCE.split(answer) if not any(p.search(s) for p in patterns)]
    return " ".join(s.strip() for s in kept if s.strip()), flagged


__all__ = ["destructive_rules", "remove_destructive", "unsupported_destructive"]
