"""Temporary alias of :mod:`rrag.ops.diagnostics` (the old name) until the runbooks and
notebooks import the new one; remove it then."""

from rrag.ops.diagnostics import connectivity, health_report

__all__ = ["connectivity", "health_report"]
