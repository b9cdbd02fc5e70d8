"""The layers contract (``.importlinter``): kept by the code, and able to fail.

The second test runs the same contract over a copy of the package with one back-edge
added (the store importing the API), so a contract that stopped checking anything, or
checked another copy of rrag, would fail here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    # the package is found from cwd first: lint-imports puts cwd on sys.path, and
    # PYTHONPATH keeps the editable install of the real package from winning
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(cwd / ".importlinter")],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_layers_contract_is_kept() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_a_back_edge_breaks_the_contract(tmp_path: Path) -> None:
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    shutil.copytree(ROOT / "rrag", tmp_path / "rrag", ignore=shutil.ignore_patterns("__pycache__"))
    db = tmp_path / "rrag" / "store" / "db.py"
    db.write_text(db.read_text() + "\nfrom rrag.api import services  # noqa: E402, F401\n")

    result = _lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "0 kept, 1 broken" in result.stdout
    assert "rrag.store is not allowed to import rrag.api" in result.stdout
    assert "rrag.store.db -> rrag.api.services" in result.stdout
