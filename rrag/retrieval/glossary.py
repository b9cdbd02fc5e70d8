"""Query expansion with Redmine's vocabulary: "ticket" is searched as "ticket" and "issue".

People describe Redmine in everyday words (ticket, timeline, follower, dashboard) while
the tracker's own text uses Redmine's names (issue, Gantt, watcher, My page). Neither
bm25 nor a small sentence model bridges every such gap, so a query that contains one of
the everyday words is searched with Redmine's name appended, for both retrievers. The
default glossary ships in ``rrag/retrieval/data/redmine_glossary.json``;
``RETRIEVAL_GLOSSARY`` names another file of the same shape, or ``none``. What it buys is
measured in benchmarks/RESULTS.md ("Glossary"), including on queries written after it.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

from rrag.errors import ConfigError

BUILTIN = "builtin"
OFF = "none"


class Glossary:
    """Maps everyday phrases (whole words, any case) to the Redmine terms they stand for."""

    def __init__(self, entries: dict[str, list[str]]) -> None:
        self._rules = [
            (re.compile(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", re.IGNORECASE), term)
            for term, phrases in entries.items()
            for phrase in phrases
        ]

    def __len__(self) -> int:
        return len(self._rules)

    def terms_for(self, query: str) -> list[str]:
        """Redmine terms to add to ``query`` (in glossary order, none already in it)."""
        lowered = query.lower()
        found = [t for rule, t in self._rules if t.lower() not in lowered and rule.search(query)]
        return list(dict.fromkeys(found))

    def expand(self, query: str) -> str:
        """``query`` with the Redmine terms it implies appended on a line of their own."""
        terms = self.terms_for(query)
        return f"{query}\n{', '.join(terms)}" if terms else query


def parse(raw: str, source: str) -> Glossary:
    """A glossary from JSON text; ConfigError naming ``source`` and the problem."""
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ConfigError(f"the glossary {source} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"the glossary {source} must be a JSON object of term: [phrases]")
    entries: dict[str, list[str]] = {}
    for term, phrases in data.items():
        if term.startswith("_"):
            continue  # comments
        if not (isinstance(phrases, list) and all(isinstance(p, str) and p for p in phrases)):
            raise ConfigError(
                f"the glossary {source}: {term!r} must map to a list of non-empty strings"
            )
        entries[term] = phrases
    return Glossary(entries)


@lru_cache(maxsize=8)
def load(setting: str) -> Glossary:
    """The glossary ``RETRIEVAL_GLOSSARY`` names: ``builtin``, ``none`` or a JSON file."""
    if setting == OFF:
        return Glossary({})
    if setting == BUILTIN:
        raw = resources.files("rrag.retrieval").joinpath("data/redmine_glossary.json").read_text()
        return parse(raw, "built into rrag")
    path = Path(setting)
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read RETRIEVAL_GLOSSARY file {path}: {exc}") from None
    return parse(raw, str(path))


__all__ = ["BUILTIN", "OFF", "Glossary", "load", "parse"]
