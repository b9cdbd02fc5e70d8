"""Every committed notebook is paired with its jupytext twin and follows CONVENTIONS.md 14.

The percent-format ``.py`` file is the source; the ``.ipynb`` next to it is what nbval,
papermill and Jupyter open. Runbooks carry the runbook shape (parameters, steps that
assert, Verify, Rollback, a summary line last); tutorials only the rules every notebook
keeps (one typed ``parameters`` cell, no logic defined in cells, no outputs committed).
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import nbformat
import pytest

from tests.notebooks.helpers import ROOT

RUNBOOK_FILES = sorted((ROOT / "runbooks").glob("*.ipynb"))
TUTORIAL_FILES = sorted((ROOT / "notebooks").glob("*.ipynb"))
NOTEBOOKS = RUNBOOK_FILES + TUTORIAL_FILES
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
LOGIC_IN_CELL = re.compile(r"^\s*(def|class|async def) |^\s*[!%]pip", re.M)


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def _cells(nb: nbformat.NotebookNode) -> list[tuple[str, str, list[str]]]:
    return [(c.cell_type, c.source, list(c.metadata.get("tags", []))) for c in nb.cells]


def pairing_problems(ipynb: Path) -> list[str]:
    """Where ``ipynb`` and its ``.py`` twin differ (cell kinds, sources, tags)."""
    twin = ipynb.with_suffix(".py")
    if not twin.exists():
        return [f"{twin.name} is missing"]
    left, right = _cells(jupytext.read(ipynb)), _cells(jupytext.read(twin))
    problems = [
        f"cell {n}: {a[:2]!r} != {b[:2]!r}"
        for n, (a, b) in enumerate(zip(left, right, strict=False))
        if a != b
    ]
    if len(left) != len(right):
        problems.append(f"{len(left)} cells in the .ipynb, {len(right)} in the .py")
    return problems


def test_every_runbook_exists() -> None:
    assert {p.stem for p in RUNBOOK_FILES} == RUNBOOKS


@pytest.mark.parametrize("folder", ["runbooks", "notebooks"])
def test_every_py_file_is_a_notebook_twin(folder: str) -> None:
    twins = {p.stem for p in (ROOT / folder).glob("*.py")}
    assert twins == {p.stem for p in (ROOT / folder).glob("*.ipynb")}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_notebook_and_its_py_twin_hold_the_same_cells(path: Path) -> None:
    assert pairing_problems(path) == [], "run `jupytext --sync` on the .py"


def test_the_pairing_check_sees_an_edit(tmp_path: Path) -> None:
    ipynb = tmp_path / "nb.ipynb"
    ipynb.write_bytes((ROOT / "runbooks" / "backup.ipynb").read_bytes())
    twin = (ROOT / "runbooks" / "backup.py").read_text()
    (tmp_path / "nb.py").write_text(twin)
    assert pairing_problems(ipynb) == []
    (tmp_path / "nb.py").write_text(twin.replace("## 2. Take the snapshot", "## 2. Snapshot"))
    assert pairing_problems(ipynb) and pairing_problems(ipynb)[0].startswith("cell ")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_every_notebook_keeps_the_common_rules(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert "from rrag" in nb.cells[1].source
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    for line in params[0].source.splitlines():
        assert PARAM_LINE.match(line), f"untyped or uncommented parameter: {line}"
    for cell in nb.cells:
        # a literal backslash-n in Markdown renders as the two characters, not a break
        assert "\\n" not in cell.source or cell.cell_type == "code", cell.source[:60]
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            assert not LOGIC_IN_CELL.search(cell.source), cell.source[:60]


@pytest.mark.parametrize("path", RUNBOOK_FILES, ids=_id)
def test_runbook_shape(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert "**Purpose.**" in nb.cells[0].source and "**Preconditions.**" in nb.cells[0].source
    headings = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert any(h.startswith("## Verify") for h in headings)
    assert any(h.startswith("## Rollback") for h in headings)
    assert "summary" in nb.cells[-1].metadata.get("tags", [])
    assert nb.cells[-2].cell_type == "markdown" and "RUNBOOK-SUMMARY" in nb.cells[-2].source


@pytest.mark.parametrize("path", TUTORIAL_FILES, ids=_id)
def test_tutorials_are_not_runbooks(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    headings = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert not any(h.startswith(("## Verify", "## Rollback")) for h in headings)
    assert "summary" in nb.cells[-1].metadata.get("tags", [])


def test_state_changing_runbooks_default_to_dry_run() -> None:
    for name in ("restore", "maintenance", "incident_response", "soak_test"):
        nb = nbformat.read(ROOT / "runbooks" / f"{name}.ipynb", as_version=4)
        params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        assert "dry_run: bool = True" in params.source, name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_papermill_sees_every_parameter(path: Path) -> None:
    import papermill

    nb = nbformat.read(path, as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    names = [line.split(":", 1)[0] for line in params.source.splitlines()]
    assert list(papermill.inspect_notebook(str(path))) == names
