#!/usr/bin/env python
"""Generate runbooks/*.ipynb (the committed artifacts) from the cell lists below.

Run ``python scripts/build_notebooks.py`` after editing a runbook here; the notebooks are
written with outputs stripped and ``execution_count`` null, as nbval and review expect.
Cell order follows CONVENTIONS.md item 14: purpose and preconditions, imports, ONE
``parameters`` cell, derived values, steps (one rrag call plus an assert each), Verify,
Rollback, and a ``summary`` cell whose printed line the papermill tests read back.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
Cell = tuple[str, str]


def _cell(kind: str, source: str) -> nbformat.NotebookNode:
    source = source.strip("\n")
    if kind == "md":
        return new_markdown_cell(source)
    cell = new_code_cell(source)
    if kind in ("params", "summary"):
        cell.metadata["tags"] = ["parameters" if kind == "params" else "summary"]
    return cell


def build(cells: list[Cell]) -> nbformat.NotebookNode:
    nb = new_notebook(cells=[_cell(kind, src) for kind, src in cells])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def main() -> int:
    sys.path.insert(0, str(ROOT / "scripts"))
    from notebook_cells import NOTEBOOKS

    for name, cells in NOTEBOOKS.items():
        path = ROOT / f"{name}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nb = build(cells)
        for n, cell in enumerate(nb.cells):  # stable ids keep diffs small
            cell["id"] = f"{path.stem.replace('_', '-')}-{n:02d}"
        nbformat.validate(nb)
        path.write_text(nbformat.writes(nb) + "\n")
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
