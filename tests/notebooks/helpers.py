"""Run a runbook with papermill and read back the values it recorded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import papermill

from rrag.ops.runbook import SUMMARY_MARK

ROOT = Path(__file__).resolve().parents[2]


def run_runbook(
    name: str, out_dir: Path, folder: str = "runbooks", **parameters: Any
) -> dict[str, Any]:
    """Execute ``<folder>/<name>.ipynb``; returns the summary cell's recorded values."""
    output = out_dir / f"{name}.ipynb"
    papermill.execute_notebook(
        str(ROOT / folder / f"{name}.ipynb"),
        str(output),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(ROOT / folder),
        progress_bar=False,
        log_output=False,
    )
    return summary_of(output)


def summary_of(path: Path) -> dict[str, Any]:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if "summary" in cell.metadata.get("tags", []):
            for out in cell.get("outputs", []):
                for line in out.get("text", "").splitlines():
                    if line.startswith(SUMMARY_MARK):
                        return dict(json.loads(line[len(SUMMARY_MARK) :]))
    raise AssertionError(f"{path} recorded no summary")
