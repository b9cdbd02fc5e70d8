"""One entry point that runs every text-level guardrail on one text.

:func:`scan` is what the ``rrag guardrails scan`` command, the evaluation and callers
(search snippets, prompts, answers) use: invisible characters are stripped from every
text; a question or a chunk is checked for
prompt_injection and its secrets masked; an answer has its secrets masked and its
unsupported destructive commands flagged and removed (``sources``: the cited texts).
Scanning records no event; callers decide what to record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from rrag.errors import InputError
from rrag.guardrails.destructive import remove_destructive
from rrag.guardrails.injection import injection_rules
from rrag.guardrails.normalize import normalise, strip_invisible
from rrag.guardrails.secrets import mask_secrets

Where = Literal["question", "chunk", "answer"]
WHERES: tuple[str, ...] = ("question", "chunk", "answer")


@dataclass(frozen=True)
class Flag:
    """One guardrail finding: its bucket (the ``/healthz`` counter) and rule."""

    bucket: str
    rule: str


@dataclass(frozen=True)
class ScanResult:
    """The findings on one text and the text as it may be shown or sent on."""

    flags: list[Flag] = field(default_factory=list)
    masked_text: str = ""
    disguises: tuple[str, ...] = ()

    def has(self, bucket: str) -> bool:
        return any(flag.bucket == bucket for flag in self.flags)


def scan(text: str, where: str = "chunk", sources: Sequence[str] = ()) -> ScanResult:
    """Every guardrail finding on ``text`` seen at ``where`` (see the module docstring)."""
    if where not in WHERES:
        raise InputError(f"where must be one of {', '.join(WHERES)}, got {where!r}")
    flags: list[Flag] = []
    disguises: tuple[str, ...] = ()
    masked = strip_invisible(text)  # never sent on: a reader cannot see them, a model can
    if where == "answer":
        masked, rules = remove_destructive(masked, sources)
        flags += [Flag("unsafe_content", f"destructive:{rule}") for rule in rules]
    else:
        norm = normalise(text)
        disguises = norm.disguises
        flags += [Flag("prompt_injection", rule) for rule in injection_rules(text, norm)]
    masked, secret_rules = mask_secrets(masked)
    flags += [Flag("unsafe_content", f"secret:{rule}") for rule in secret_rules]
    return ScanResult(flags, masked, disguises)


__all__ = ["WHERES", "Flag", "ScanResult", "Where", "scan"]
