"""Guardrails: detectors for unsafe text and the events they record.

One module per concern: :mod:`~rrag.guardrails.normalize` (undo disguises),
:mod:`~rrag.guardrails.injection` (prompt_injection), :mod:`~rrag.guardrails.secrets` and
:mod:`~rrag.guardrails.destructive` (unsafe_content), :mod:`~rrag.guardrails.scan` (all of
them on one text), :mod:`~rrag.guardrails.events` (the event table) and
:mod:`~rrag.guardrails.writer` (its background writer),
:mod:`~rrag.guardrails.suite` and :mod:`~rrag.guardrails.evaluate` (the labelled red-team
suite and its scores). Patterns and thresholds live in one reviewable file,
``data/rules.toml``.
"""

from rrag.guardrails.destructive import remove_destructive, unsupported_destructive
from rrag.guardrails.events import (
    KINDS,
    Kind,
    count_events,
    flush_events,
    list_events,
    record_event,
)
from rrag.guardrails.injection import find_injection, injection_rules
from rrag.guardrails.normalize import normalise, strip_invisible
from rrag.guardrails.scan import Flag, ScanResult, scan
from rrag.guardrails.secrets import mask_secrets

__all__ = [
    "KINDS",
    "Flag",
    "Kind",
    "ScanResult",
    "count_events",
    "find_injection",
    "flush_events",
    "injection_rules",
    "list_events",
    "mask_secrets",
    "normalise",
    "record_event",
    "remove_destructive",
    "scan",
    "strip_invisible",
    "unsupported_destructive",
]
