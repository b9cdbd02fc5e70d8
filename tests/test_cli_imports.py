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


def test_the_sync_index_hook_imports_the_index_only_when_it_runs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = (
        "import sys, threading; from rrag.cli.context import Context; "
        "from tests.index.seed import hashing_settings; "
        f"hook = Context(hashing_settings({str(tmp_path)!r})).after_sync(); "
        "before = 'faiss' in sys.modules; done = threading.Event(); done.set(); "
        "hook.prefetch(done); print(before, 'faiss' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
