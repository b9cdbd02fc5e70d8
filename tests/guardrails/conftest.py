"""Fixtures the guardrail tests borrow: the Ollama stand-in of the extraction tests."""

from tests.extract.conftest import standin

__all__ = ["standin"]
