"""rrag.extract's public surface is honest: every name in each ``__all__`` exists."""

from __future__ import annotations

import importlib

import pytest

MODULES = ["extractor", "grounding", "prompt", "records", "runner", "schema"]


@pytest.mark.parametrize("name", ["rrag.extract", *(f"rrag.extract.{m}" for m in MODULES)])
def test_all_is_honest(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__all__, name
    for attr in module.__all__:
        assert hasattr(module, attr), f"{name}.__all__ names missing {attr}"
