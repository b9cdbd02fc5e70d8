"""Results as tables a notebook displays: search hits, evaluation rows, anything row-like.

pandas is not a dependency; :class:`Table` renders itself as HTML in Jupyter (and in the
HTML export) and as aligned text elsewhere. Rows may be mappings, msgspec Structs,
dataclasses or named tuples, so the tutorials read the library's results as returned.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec

FLOAT_DIGITS = 3


def as_row(item: Any) -> dict[str, Any]:
    """One result as a plain dict (mapping, msgspec Struct, dataclass or named tuple)."""
    if isinstance(item, Mapping):
        return dict(item)
    if hasattr(item, "_asdict"):  # a NamedTuple: to_builtins would make it a list
        return dict(item._asdict())
    data = msgspec.to_builtins(item)
    if not isinstance(data, dict):
        raise TypeError(f"not a row: {type(item).__name__}")
    return data


def results_of(response: Any) -> list[dict[str, Any]]:
    """The ``results`` of a search or similar-issues response, as rows."""
    found = response["results"] if isinstance(response, Mapping) else response.results
    return [as_row(r) for r in found]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.{FLOAT_DIGITS}f}"
    return str(value)


_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _marked(text: str) -> str:
    """HTML-escaped ``text`` with snippets' ``**term**`` marks shown in bold."""
    return _BOLD.sub(r"<b>\1</b>", html.escape(text))


class Table:
    """Rows under named columns; Jupyter shows the HTML, ``str()`` aligned text."""

    def __init__(self, rows: Iterable[Any], columns: Sequence[str] | None = None) -> None:
        self.rows = [as_row(r) for r in rows]
        self.columns = list(columns or (self.rows[0] if self.rows else []))

    def cells(self) -> list[list[str]]:
        """The displayed text of every cell, row by row."""
        return [[_cell(row.get(c)) for c in self.columns] for row in self.rows]

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{_marked(v)}</td>" for v in row) + "</tr>"
            for row in self.cells()
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def __str__(self) -> str:
        grid = [self.columns, *self.cells()]
        widths = [max(len(line[i]) for line in grid) for i in range(len(self.columns))]
        return "\n".join(
            "  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip()
            for line in grid
        )

    def __repr__(self) -> str:
        return str(self)

    def __len__(self) -> int:
        return len(self.rows)


HIT_COLUMNS = ("issue_id", "subject", "status", "score")


def hits_table(response: Any, columns: Sequence[str] = HIT_COLUMNS) -> Table:
    """A search (or similar-issues) response as a table, best hit first."""
    return Table(results_of(response), columns)


def mapping_table(values: Mapping[str, Any], key: str = "name", value: str = "value") -> Table:
    """A flat mapping (counts, a health section) as a two-column table."""
    return Table([{key: k, value: v} for k, v in values.items()], (key, value))


__all__ = ["Table", "as_row", "hits_table", "mapping_table", "results_of"]
