"""The guardrails' patterns and thresholds, loaded once from ``data/rules.toml``.

Everything a reviewer may tune lives in that one data file; this module only reads it
and compiles each bucket's patterns once, at import, so a scan never compiles a regex.
Patterns of one rule and script are joined into a single alternation (one search per
rule and script instead of one per pattern).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

SCRIPTS = ("latin", "cyrillic", "cjk")


@dataclass(frozen=True)
class Rule:
    """One named rule: its compiled pattern and the script of text it applies to."""

    name: str
    script: str
    pattern: re.Pattern[str]


@cache
def raw_rules() -> dict[str, Any]:
    """The parsed ``rules.toml`` (cached: read once per process)."""
    text = resources.files("rrag.guardrails").joinpath("data/rules.toml").read_text("utf-8")
    return tomllib.loads(text)


def thresholds() -> dict[str, Any]:
    return dict(raw_rules()["thresholds"])


@cache
def compiled(section: str) -> tuple[Rule, ...]:
    """The rules of ``section`` (e.g. ``injection``), grouped by (rule, script), compiled."""
    groups: dict[tuple[str, str], list[str]] = {}
    for entry in raw_rules().get(section, []):
        script = entry.get("script", "latin")
        if script not in SCRIPTS:
            raise ValueError(f"rules.toml: unknown script {script!r} in {entry['rule']}")
        groups.setdefault((entry["rule"], script), []).append(entry["pattern"])
    return tuple(
        Rule(name, script, re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE))
        for (name, script), patterns in groups.items()
    )


def word_list(name: str) -> tuple[str, ...]:
    """A list of words from the ``[lists]`` table (lowercased)."""
    return tuple(w.lower() for w in raw_rules().get("lists", {}).get(name, []))


__all__ = ["SCRIPTS", "Rule", "compiled", "raw_rules", "thresholds", "word_list"]
