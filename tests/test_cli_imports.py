"""The CLI starts light: `rrag sync` does not pay for numpy, FAISS, torch or Litestar."""

from __future__ import annotations

import subprocess
import sys

from rrag.cli.index_cmds import MODES as CLI_MODES
from rrag.retrieval import MODES


def test_cli_modes_mirror_retrieval_modes() -> None:
    assert set(CLI_MODES) == set(MODES)


def test_parsing_the_cli_imports_no_heavy_modules() -> None:
    code = (
        "import sys; from rrag.cli.main import build_parser; build_parser(); "
        "print(sorted(m for m in ('faiss', 'torch', 'litestar', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
