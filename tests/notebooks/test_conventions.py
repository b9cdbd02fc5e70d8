"""Every committed notebook follows CONVENTIONS.md item 14 and matches its generator."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

from tests.notebooks.helpers import ROOT

NOTEBOOKS = sorted((ROOT / "runbooks").glob("*.ipynb")) + sorted(
    (ROOT / "notebooks").glob("*.ipynb")
)
RUNBOOKS = {
    "health_check",
    "incident_response",
    "backup",
    "restore",
    "maintenance",
    "soak_test",
    "runtime_tuning",
    "guardrail_review",
}
PARAM_LINE = re.compile(r"^[a-z_][a-z0-9_]*: (str|int|float|bool|list) = .+  # .+$")


def test_every_runbook_exists() -> None:
    assert {p.stem for p in (ROOT / "runbooks").glob("*.ipynb")} == RUNBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_shape(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.cells[0].cell_type == "markdown" and "**Purpose.**" in nb.cells[0].source
    assert "**Preconditions.**" in nb.cells[0].source
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    for line in params[0].source.splitlines():
        assert PARAM_LINE.match(line), f"untyped or uncommented parameter: {line}"
    assert "from rrag" in nb.cells[1].source
    headings = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert any(h.startswith("## Verify") for h in headings)
    assert any(h.startswith("## Rollback") for h in headings)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            assert not re.search(r"^\s*(def|class|async def) |^\s*[!%]pip", cell.source, re.M)


def test_state_changing_runbooks_default_to_dry_run() -> None:
    for name in ("restore", "maintenance", "incident_response", "soak_test"):
        nb = nbformat.read(ROOT / "runbooks" / f"{name}.ipynb", as_version=4)
        params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        assert "dry_run: bool = True" in params.source, name


def test_committed_notebooks_match_the_generator() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    from build_notebooks import build
    from notebook_cells import NOTEBOOKS as CELLS

    for key, cells in CELLS.items():
        committed = nbformat.read(ROOT / f"{key}.ipynb", as_version=4)
        built = build(cells)
        assert [c.source for c in committed.cells] == [c.source for c in built.cells], key


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_papermill_sees_every_parameter(path: Path) -> None:
    import papermill

    nb = nbformat.read(path, as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    names = [line.split(":", 1)[0] for line in params.source.splitlines()]
    assert list(papermill.inspect_notebook(str(path))) == names
