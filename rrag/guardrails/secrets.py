"""unsafe_content (secrets): mask credentials in text rrag returns, logs or sends to an LLM.

Cloud keys (AWS, Google), GitHub/GitLab/Slack/Stripe tokens, JWTs, PEM private keys,
``Authorization`` headers, Redmine API keys (40 hex digits next to a key word), passwords
in URLs, config lines (``database.yml``, ``configuration.yml``, ``KEY=value``), command
lines (``mysql -p...``) and prose ("the password is ..."). Placeholders such as
``changeme``, ``YOUR_API_KEY_HERE``, ``********`` or ``<redacted>`` are left alone, as are
commit hashes and checksums (40 hex digits without a key word). Patterns live in
``data/rules.toml`` (sections ``secret`` and ``placeholders``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from rrag.guardrails.rules import Group, Words, raw_rules, trigger_groups

BUCKET = "unsafe_content"


@dataclass(frozen=True)
class _SecretRule:
    name: str
    pattern: re.Pattern[str]
    group: int
    triggers: tuple[Group, ...]


@cache
def _rules() -> tuple[_SecretRule, ...]:
    return tuple(
        _SecretRule(
            e["rule"],
            re.compile(e["pattern"]),
            int(e.get("group", 0)),
            trigger_groups(e),
        )
        for e in raw_rules()["secret"]
    )


@cache
def _trigger_strings() -> tuple[str, ...]:
    """Every trigger of every secret rule, words and substrings alike."""
    found = {t for rule in _rules() for g in rule.triggers for t in (*g.words, *g.substrings)}
    return tuple(sorted(found))


def gated_rules(text: str) -> list[_SecretRule]:
    """The rules whose triggers ``text`` holds (:meth:`Words.has_any` for each group).

    One pass finds which trigger strings occur anywhere in the text, shared by all rules;
    a word trigger that does not even occur as a substring cannot occur as a word, so the
    text is split into words only when one does (most texts never are).
    """
    lowered = text.lower()
    present = {t for t in _trigger_strings() if t in lowered}
    if not present:
        return [rule for rule in _rules() if not rule.triggers]
    words: Words | None = None

    def holds(group: Group) -> bool:
        nonlocal words
        if not present.isdisjoint(group.substrings):
            return True
        if present.isdisjoint(group.words):
            return False
        words = words or Words.of(text)
        return not words.words.isdisjoint(group.words)

    return [rule for rule in _rules() if all(holds(g) for g in rule.triggers)]


@cache
def _placeholder() -> re.Pattern[str]:
    return re.compile(raw_rules()["placeholders"]["pattern"])


def _mask_text(rule: str) -> str:
    return str(raw_rules()["placeholders"]["mask"]).format(rule=rule)


def _value_span(match: re.Match[str], group: int) -> tuple[int, int] | None:
    """The span to mask, or None when the match holds no real secret (a placeholder)."""
    if group == 0 and match.lastindex:  # alternatives with their own group: mask that one
        group = next((g for g in range(1, match.lastindex + 1) if match.group(g)), 0)
    value = match.group(group)
    if not value or _placeholder().match(value.strip("\"'")):
        return None
    return match.span(group)


def find_secrets(text: str) -> list[tuple[str, int, int]]:
    """``(rule, start, end)`` of every secret in ``text``, overlapping spans merged."""
    spans: list[tuple[str, int, int]] = []
    for rule in gated_rules(text):  # the others cannot match: their regexes are skipped
        for match in rule.pattern.finditer(text):
            span = _value_span(match, rule.group)
            if span is not None:
                spans.append((rule.name, *span))
    spans.sort(key=lambda s: (s[1], -s[2]))
    merged: list[tuple[str, int, int]] = []
    for name, start, end in spans:
        if merged and start < merged[-1][2]:
            last = merged[-1]
            merged[-1] = (last[0], last[1], max(last[2], end))
        else:
            merged.append((name, start, end))
    return merged


def mask_secrets(text: str) -> tuple[str, list[str]]:
    """``text`` with every secret replaced by ``[masked:<rule>]``, and the rules that fired."""
    found = find_secrets(text)
    if not found:
        return text, []
    parts, last = [], 0
    for name, start, end in found:
        parts += [text[last:start], _mask_text(name)]
        last = end
    parts.append(text[last:])
    return "".join(parts), sorted({name for name, _, _ in found})


__all__ = ["BUCKET", "find_secrets", "mask_secrets"]
