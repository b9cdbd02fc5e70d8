"""The guardrails' patterns and thresholds, loaded once from ``data/rules.toml``.

Everything a reviewer may tune lives in that one data file; this module only reads it
and compiles each pattern once, so a scan never compiles a regex. A pattern may name
``trigger`` groups of words (``ai``), prefixes (``passw*``) or substrings (``~pass``,
``://``); a match must hold one trigger of every group, so a text that does not skips the
regex, which is what keeps a scan within its budget. A trigger must therefore be a
*necessary* condition of its pattern.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

SCRIPTS = ("latin", "cyrillic", "cjk")


_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Words:
    """The lowercased words of a text, and the lowercased text itself."""

    lowered: str
    words: frozenset[str]

    @classmethod
    def of(cls, text: str) -> Words:
        lowered = text.lower()
        return cls(lowered, frozenset(_WORD.findall(lowered)))

    def has_any(self, group: Group) -> bool:
        """Does the text hold one of ``group``'s words or substrings?"""
        return not self.words.isdisjoint(group.words) or any(
            sub in self.lowered for sub in group.substrings
        )


@dataclass(frozen=True)
class Group:
    """Triggers of which a match holds at least one: words (``ai``, compared as whole
    words with one set operation) and substrings (``passw*`` a prefix, ``~pass``, ``://``:
    anything that is not a plain word)."""

    words: frozenset[str]
    substrings: tuple[str, ...]

    @classmethod
    def parse(cls, triggers: list[str]) -> Group:
        words = {t.lower() for t in triggers if _WORD.fullmatch(t)}
        subs = tuple(t.lower().strip("~*") for t in triggers if not _WORD.fullmatch(t))
        return cls(frozenset(words), subs)


@dataclass(frozen=True)
class Rule:
    """One pattern of a named rule, the script of text it applies to, and its triggers.

    ``triggers`` is a tuple of groups; a text may match only if it holds a trigger of
    every group (see :meth:`Words.has`), so most texts skip most regexes.
    """

    name: str
    script: str
    pattern: re.Pattern[str]
    triggers: tuple[Group, ...] = ()
    #: a text this matches discusses what the pattern finds (a bug report about chat
    #: templates quoting their markers), so the pattern's hits in it are mentions
    technical: re.Pattern[str] | None = None

    def may_match(self, words: Words) -> bool:
        """False when ``words`` lacks every trigger of some group (the regex cannot match)."""
        return all(words.has_any(group) for group in self.triggers)


def trigger_groups(entry: dict[str, Any]) -> tuple[Group, ...]:
    """``trigger`` of a rules.toml entry: a list (one group) or a list of lists."""
    raw = entry.get("trigger", [])
    groups = raw if raw and isinstance(raw[0], list) else [raw] if raw else []
    return tuple(Group.parse(group) for group in groups)


@cache
def raw_rules() -> dict[str, Any]:
    """The parsed ``rules.toml`` (cached: read once per process)."""
    text = resources.files("rrag.guardrails").joinpath("data/rules.toml").read_text("utf-8")
    return tomllib.loads(text)


def thresholds() -> dict[str, Any]:
    return dict(raw_rules()["thresholds"])


@cache
def mention_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """``[mention]``: the quoted spans of a text, and the words of a text that reports or
    discusses an attack (compiled once)."""
    section = raw_rules()["mention"]
    return re.compile(section["quoted"]), re.compile(section["frame"], re.IGNORECASE)


@cache
def compiled(section: str, flags: int = re.IGNORECASE) -> tuple[Rule, ...]:
    """The patterns of ``section`` (e.g. ``injection``), compiled, in file order."""
    rules = []
    for entry in raw_rules().get(section, []):
        script = entry.get("script", "latin")
        if script not in SCRIPTS:
            raise ValueError(f"rules.toml: unknown script {script!r} in {entry['rule']}")
        pattern = re.compile(entry["pattern"], flags)
        frame = entry.get("mention")
        frames = raw_rules().get("mention", {})
        if frame is not None and not isinstance(frames.get(frame), str):
            raise ValueError(f"rules.toml: unknown mention frame {frame!r} in {entry['rule']}")
        technical = re.compile(frames[frame], flags) if frame else None
        rules.append(Rule(entry["rule"], script, pattern, trigger_groups(entry), technical))
    return tuple(rules)


__all__ = [
    "SCRIPTS",
    "Group",
    "Rule",
    "Words",
    "compiled",
    "mention_patterns",
    "raw_rules",
    "thresholds",
    "trigger_groups",
]
