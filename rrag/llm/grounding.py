"""Is a generated sentence supported by the passages it cites?

A deliberately strict, explainable check (no model): a sentence passes only when

1. every *exact token* it contains occurs in the cited text: numbers and versions
   (``5.1.2``, ``500``), issue and revision references (``#1234``, ``r20000``), error
   codes and identifiers (``ERR_TIMEOUT``, ``ActiveRecord::StatementInvalid``,
   ``user_id``), file names and paths (``configuration.yml``, ``/var/log``). A model that
   invents a version number is caught here whatever the rest of the sentence says;
2. a negation in the sentence (``not``, ``never``, ``cannot``, ``n't`` ...) is matched by
   one in the cited text: "X does not work" cannot rest on "X works";
3. at least :data:`MIN_OVERLAP` of its content words (3+ letters, no stopwords, light
   suffix stemming) occur in the cited text. 0.5 lets a model reword (a small model
   paraphrases about half a sentence) but not add a claim the passages never mention.

The cited text is the subject and full text of every passage the sentence cites.
"""

from __future__ import annotations

import re

from rrag.llm.extractive import terms

MIN_OVERLAP = 0.5
_EXACT = re.compile(
    r"#\d+"  # issue references
    r"|\b\d+(?:[.:,/-]\d+)*\b"  # numbers, versions, dates, times
    r"|\b(?=\w*\d)\w+\b"  # words with a digit: r20000, v5, E1234, utf8
    r"|\b[\w-]+(?:\.[\w-]+)+\b"  # file names and dotted identifiers
    r"|(?:/[\w.-]+){2,}"  # paths
    r"|\b\w+(?:::\w+)+\b"  # Ruby constants
    r"|\b\w*_\w*\b",  # snake_case and SCREAMING_CASE identifiers
    re.IGNORECASE,
)
#: camelCase and inner-capital names (``startDate``, ``ActiveRecord``): case-sensitive
_EXACT_CASED = re.compile(r"\b[A-Za-z][a-z]+[A-Z]\w*\b")
_NEGATION = re.compile(
    r"\b(?:not|no|never|none|nothing|nobody|neither|nor|cannot|without)\b"
    r"|n['\u2019]t\b",
    re.IGNORECASE,
)
_SUFFIXES = ("ing", "ed", "es", "s")


def stem(word: str) -> str:
    """A light, predictable stem: ``fixes``/``fixed``/``fixing`` all become ``fix``."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:6]


def exact_tokens(sentence: str) -> set[str]:
    """The tokens of ``sentence`` that must occur verbatim in the cited text."""
    found = {m.group(0).strip(".,:;-").lower() for m in _EXACT.finditer(sentence)}
    found |= {m.group(0).lower() for m in _EXACT_CASED.finditer(sentence)}
    return {t for t in found if t.strip("_")}


def _occurs(token: str, text: str) -> bool:
    """``token`` in ``text`` as a whole token (``5.1`` is not found in ``5.1.2``)."""
    pattern = r"(?<![\w.])" + re.escape(token) + r"(?![\w]|\.\w)"
    return re.search(pattern, text) is not None


def overlap(sentence: str, cited: str) -> float:
    """Share of ``sentence``'s content words found (stemmed) in ``cited``; 0 if none."""
    words = {stem(w) for w in terms(sentence)}
    if not words:
        return 0.0
    have = {stem(w) for w in terms(cited)}
    return len(words & have) / len(words)


def unsupported(sentence: str, cited: str) -> str | None:
    """Why ``sentence`` is not supported by ``cited`` (one line), or None if it is."""
    if not cited.strip():
        return "cites no retrieved passage"
    text = cited.lower()
    missing = sorted(t for t in exact_tokens(sentence) if not _occurs(t, text))
    if missing:
        return f"not in the cited passages: {', '.join(missing[:5])}"
    if _NEGATION.search(sentence) and not _NEGATION.search(cited):
        return "a negation the cited passages do not make"
    share = overlap(sentence, cited)
    if share < MIN_OVERLAP:
        return f"only {share:.0%} of its words are in the cited passages"
    return None


__all__ = ["MIN_OVERLAP", "exact_tokens", "overlap", "stem", "unsupported"]
