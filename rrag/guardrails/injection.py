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
"""

from __future__ import annotations

from rrag.guardrails.normalize import Normalised, normalise
from rrag.guardrails.rules import Words, compiled, thresholds

BUCKET = "prompt_injection"
_SMUGGLED_MIN = int(thresholds()["smuggled_min_chars"])


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
            rule.may_match(w) and rule.pattern.search(view)
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
