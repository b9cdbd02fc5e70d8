"""Is a generated sentence supported by the passages it cites?

A deliberately strict, explainable check (no model): a sentence passes only when

1. every *exact token* it contains occurs in the cited text: numbers and versions
   (``5.1.2``, ``500``), issue and revision references (``#1234``, ``r20000``), error
   codes and identifiers (``ERR_TIMEOUT``, ``ActiveRecord::StatementInvalid``,
   ``user_id``), file names and paths (``configuration.yml``, ``/var/log``). A model that
   invents a version number is caught here whatever the rest of the sentence says;
2. what the sentence negates (the first content word after ``not``, ``never``,
   ``cannot``, ``n't`` ...) is negated in the cited text too: "X does not fail" cannot
   rest on "X fails" nor on "Y does not happen";
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
    r"|(?:[\w.-]+/)+[\w.-]*\.\w+|(?:\b[\w.-]+)?(?:/[\w.-]+){2,}"  # file paths, paths
    r"|\b\w+(?:::\w+)+\b"  # Ruby constants
    r"|\b[\w-]+(?:\.[\w-]+)+\b"  # versions, file names, dotted identifiers
    r"|\b\d+(?:[:,/-]\d+)*\b"  # numbers, dates, times
    r"|\b(?=\w*\d)\w+\b"  # words with a digit: r20000, E1234, utf8
    r"|\b\w*_\w*\b",  # snake_case and SCREAMING_CASE identifiers
    re.IGNORECASE,
)
#: camelCase and inner-capital names (``startDate``, ``ActiveRecord``): case-sensitive
_EXACT_CASED = re.compile(r"\b[A-Za-z][a-z]+[A-Z]\w*\b")
_NEGATION = re.compile(
    r"^(?:not|no|never|none|nothing|nobody|neither|nor|cannot|without)$|n['\u2019]t$",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"[.!?;:,]\s|[.!?;]$|\n")
_TOKEN = re.compile(r"[\w'\u2019]+")
#: a negation governs the first content word within this many tokens after it
_NEGATION_SCOPE = 3
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


def negated(text: str) -> set[str]:
    """Stems of the words ``text`` negates: the first content word after each negation
    ("does not **fail**", "never **worked**", "doesn't **sync**")."""
    found = set()
    for clause in _CLAUSE_END.split(text.lower()):  # a negation ends with its clause
        tokens = _TOKEN.findall(clause)
        for i, token in enumerate(tokens):
            if _NEGATION.search(token):
                after = [w for w in tokens[i + 1 : i + 1 + _NEGATION_SCOPE] if terms(w)]
                found.add(stem(after[0]) if after else token)
    return found


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
    text, exact = cited.lower(), exact_tokens(sentence)
    if not exact and not terms(sentence):
        return "says nothing that can be checked"
    missing = sorted(t for t in exact if not _occurs(t, text))
    if missing:
        return f"not in the cited passages: {', '.join(missing[:5])}"
    denied = negated(sentence) - negated(cited)
    if denied:
        return f"a negation the cited passages do not make ({', '.join(sorted(denied))})"
    share = overlap(sentence, cited) if terms(sentence) else 1.0  # only exact tokens
    if share < MIN_OVERLAP:
        return f"only {share:.0%} of its words are in the cited passages"
    return None


__all__ = ["MIN_OVERLAP", "exact_tokens", "negated", "overlap", "stem", "unsupported"]
