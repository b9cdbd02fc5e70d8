"""Guardrails: detectors for unsafe text and the events they record.

One module per concern: :mod:`~rrag.guardrails.normalize` (undo disguises),
:mod:`~rrag.guardrails.injection` (prompt_injection), :mod:`~rrag.guardrails.events`
(the event table), :mod:`~rrag.guardrails.suite` (the labelled red-team suite). Patterns
and thresholds live in one reviewable file, ``data/rules.toml``.
"""

from rrag.guardrails.events import KINDS, Kind, count_events, record_event
from rrag.guardrails.injection import find_injection, injection_rules
from rrag.guardrails.normalize import normalise, strip_invisible

__all__ = [
    "KINDS",
    "Kind",
    "count_events",
    "find_injection",
    "injection_rules",
    "normalise",
    "record_event",
    "strip_invisible",
]
