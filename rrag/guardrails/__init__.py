"""Guardrails: detectors for unsafe retrieved content and the events they record."""

from rrag.guardrails.events import KINDS, Kind, count_events, record_event
from rrag.guardrails.injection import find_injection

__all__ = ["KINDS", "Kind", "count_events", "find_injection", "record_event"]
