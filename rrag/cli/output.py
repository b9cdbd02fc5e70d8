"""``--json`` output, one way for every command: msgspec encodes the typed results
(:class:`rrag.retrieval.SearchResults`, :class:`rrag.llm.Answer`, :class:`rrag.sync.Job`)
with the same field names the API's JSON has, indented for a reader."""

from __future__ import annotations

from typing import Any

import msgspec


def print_json(value: Any) -> None:
    """Print ``value`` (a Struct, or plain JSON data) as indented JSON, UTF-8 kept as is."""
    print(msgspec.json.format(msgspec.json.encode(value), indent=2).decode())


__all__ = ["print_json"]
