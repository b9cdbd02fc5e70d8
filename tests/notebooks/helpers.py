"""Run a notebook with papermill, check its rendered HTML, read back its recorded values."""

from __future__ import annotations

import copy
import html
import json
import re
from pathlib import Path
from typing import Any

import nbformat
import papermill
from nbconvert import HTMLExporter

from rrag.ops.runbook import SUMMARY_MARK

ROOT = Path(__file__).resolve().parents[2]
#: a cell that hangs (a lost kernel message) fails the test instead of stalling the suite
CELL_TIMEOUT_S = 600
_HIDDEN = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")


def run_runbook(
    name: str, out_dir: Path, folder: str = "runbooks", **parameters: Any
) -> dict[str, Any]:
    """Execute ``<folder>/<name>.ipynb``, check its render; returns the recorded values."""
    output = out_dir / f"{name}.ipynb"
    papermill.execute_notebook(
        str(ROOT / folder / f"{name}.ipynb"),
        str(output),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(ROOT / folder),
        progress_bar=False,
        log_output=False,
        execution_timeout=CELL_TIMEOUT_S,
    )
    assert render_problems(output) == [], output
    return summary_of(output)


def rendered_text(nb: nbformat.NotebookNode) -> str:
    """What a reader sees of ``nb`` as HTML (Markdown and outputs, not the code), as text.

    The summary cell's output is left out: it is the run's record, JSON by design.
    """
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if "summary" in cell.metadata.get("tags", []):
            cell.outputs = []
    body, _ = HTMLExporter(template_name="basic", exclude_input=True).from_notebook_node(nb)
    return html.unescape(_TAG.sub(" ", _HIDDEN.sub(" ", body)))


def render_problems(path: Path) -> list[str]:
    """Error outputs and literal escape sequences (a ``\\n`` shown as two characters) in
    the executed notebook at ``path``, rendered as nbconvert's HTML export renders it."""
    nb = nbformat.read(path, as_version=4)
    problems = [
        f"cell {n}: {out.get('ename')}: {out.get('evalue')}"
        for n, cell in enumerate(nb.cells)
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    text = rendered_text(nb)
    problems += [
        f"literal escape: ...{m.group(0)}..." for m in re.finditer(r".{0,30}\\[nrt].{0,30}", text)
    ]
    return problems


def summary_of(path: Path) -> dict[str, Any]:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if "summary" in cell.metadata.get("tags", []):
            for out in cell.get("outputs", []):
                for line in out.get("text", "").splitlines():
                    if line.startswith(SUMMARY_MARK):
                        return dict(json.loads(line[len(SUMMARY_MARK) :]))
    raise AssertionError(f"{path} recorded no summary")
