"""The render check that every executed notebook passes (tests/notebooks/helpers.py):
it must catch what a reader would see go wrong, and let a clean notebook through."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tests.notebooks.helpers import render_problems


def _write(tmp_path: Path, *cells: nbformat.NotebookNode) -> Path:
    path = tmp_path / "nb.ipynb"
    nbformat.write(new_notebook(cells=list(cells)), path)
    return path


def _shows(text: str) -> nbformat.NotebookNode:
    cell = new_code_cell("x", execution_count=1)
    cell.outputs = [new_output("execute_result", {"text/plain": text}, execution_count=1)]
    return cell


def test_a_clean_notebook_passes(tmp_path: Path) -> None:
    path = _write(tmp_path, new_markdown_cell("## Verify\nAll good."), _shows("42"))
    assert render_problems(path) == []


def test_a_literal_backslash_n_in_markdown_is_caught(tmp_path: Path) -> None:
    path = _write(tmp_path, new_markdown_cell("## Verify\\nEvery setting returns results"))
    (problem,) = render_problems(path)
    assert problem.startswith("literal escape: ") and "Verify\\nEvery" in problem


def test_an_escaped_newline_in_an_output_is_caught(tmp_path: Path) -> None:
    path = _write(tmp_path, _shows("[{'subject': 'LDAP\\nlogin'}]"))
    assert len(render_problems(path)) == 1


def test_an_error_output_is_caught(tmp_path: Path) -> None:
    cell = new_code_cell("1/0", execution_count=1)
    cell.outputs = [new_output("error", ename="ZeroDivisionError", evalue="division by zero")]
    path = _write(tmp_path, cell)
    assert render_problems(path) == ["cell 0: ZeroDivisionError: division by zero"]


def test_the_summary_record_may_hold_json_escapes(tmp_path: Path) -> None:
    cell = new_code_cell("show_summary()", execution_count=1)
    cell.metadata["tags"] = ["summary"]
    cell.outputs = [new_output("stream", name="stdout", text='RUNBOOK-SUMMARY {"e": "a\\nb"}\n')]
    assert render_problems(_write(tmp_path, cell)) == []
