"""The CLI starts light: `rrag sync` does not pay for numpy, FAISS, torch or Litestar."""

from __future__ import annotations

import subprocess
import sys

from rrag.cli.main import build_parser
from rrag.retrieval.query import MODES, STATUSES


def _choices(command: str, dest: str) -> tuple[str, ...]:
    """The argparse choices of ``rrag COMMAND --DEST``."""
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    parser = sub.choices[command]  # type: ignore[index]
    return tuple(next(a for a in parser._actions if a.dest == dest).choices)


def test_the_cli_takes_its_modes_and_statuses_from_the_one_definition() -> None:
    assert _choices("search", "mode") is MODES
    assert _choices("eval", "modes") is MODES
    assert _choices("search", "status") is STATUSES


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
