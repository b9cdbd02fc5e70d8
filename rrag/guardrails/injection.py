"""prompt_injection: text that reads like an instruction planted for an assistant.

Issue descriptions, notes and wiki pages are written by anyone who can file a ticket
(indirect injection, checked on every chunk), and a question can carry orders of its own
(direct injection). Detection is an explainable pattern list (``data/rules.toml``,
section ``injection``) in English, German, French, Spanish, Portuguese, Russian, Japanese
and Chinese, run over every view :func:`rrag.guardrails.normalize.normalise` makes, so
invisible characters, homoglyphs, hidden comments and base64/hex runs do not hide it.

Rules: ``override``, ``role_change``, ``chat_template``, ``assistant_address``,
``response_manipulation``, ``code_injection``, ``exfiltration``, ``hide_or_misstate``,
``smuggled_text`` (text hidden in Unicode tag characters).

A hit wholly inside quotation marks, in a text that reports or discusses an attack (a
pentest report quoting the payload it planted), is a mention and does not count; the rest
of that text is checked as usual (``rules.toml``, section ``mention``). A pattern may name
a technical frame there too (``mention = "template"``): its hits in a text that discusses
the thing itself (chat-template markers in a bug report about an LLM integration's
templates) are mentions as well.
"""

from __future__ import annotations

import re

from rrag.guardrails.normalize import Normalised, normalise
from rrag.guardrails.rules import Words, compiled, mention_patterns, thresholds

BUCKET = "prompt_injection"
_SMUGGLED_MIN = int(thresholds()["smuggled_min_chars"])


def _is_mention(view: str, match: re.Match[str]) -> bool:
    """Is ``match`` a quoted example in a text that discusses attacks?"""
    quoted, frame = mention_patterns()
    spans = [m.span() for m in quoted.finditer(view)]
    if not any(start <= match.start() and match.end() <= end for start, end in spans):
        return False
    edges = [0, *(i for span in spans for i in span), len(view)]
    outside = " ".join(view[a:b] for a, b in zip(edges[::2], edges[1::2], strict=True))
    return frame.search(outside) is not None


def _instructs(pattern: re.Pattern[str], view: str) -> bool:
    """Does ``pattern`` match ``view`` somewhere other than in a quoted mention?"""
    return any(not _is_mention(view, match) for match in pattern.finditer(view))


def _hits(norm: Normalised) -> list[str]:
    # text hidden in tag characters is an attack in itself (an emoji flag uses a few)
    found: list[str] = ["smuggled_text"] if norm.smuggled_chars >= _SMUGGLED_MIN else []
    words = {
        "latin": [Words.of(v) for v in norm.latin_views],
        "native": [Words.of(v) for v in norm.native_views],
    }
    for rule in compiled("injection"):
        if rule.name in found or rule.script not in norm.scripts:
            continue
        kind = "latin" if rule.script == "latin" else "native"
        views = norm.latin_views if kind == "latin" else norm.native_views
        if any(
            rule.may_match(w)
            and _instructs(rule.pattern, view)
            and not (rule.technical and rule.technical.search(view))
            for view, w in zip(views, words[kind], strict=True)
        ):
            found.append(rule.name)
    return found


def injection_rules(text: str, norm: Normalised | None = None) -> list[str]:
    """Every injection rule ``text`` matches, in ``rules.toml`` order (empty: clean)."""
    return _hits(norm if norm is not None else normalise(text))


def find_injection(text: str) -> str | None:
    """The name of the first injection rule ``text`` matches, or None."""
    hits = injection_rules(text)
    return hits[0] if hits else None


__all__ = ["BUCKET", "find_injection", "injection_rules"]
