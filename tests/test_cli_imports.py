"""The CLI starts light: `rrag sync` does not pay for numpy, FAISS, torch or Litestar, nor
for optional imports of its libraries that it never uses (rrag.cli.entry)."""

from __future__ import annotations

import json
import os
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


def test_the_cli_process_skips_optional_imports_it_never_uses(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # a sync that creates its HTTP client (httpcore's sync transport imports trio when it is
    # installed) and fails fast on a closed loopback port
    env = {
        **os.environ,
        "RRAG_DATA_DIR": str(tmp_path),
        "EMBEDDING_PROVIDER": "hashing",
        "REDMINE_BASE_URL": "http://127.0.0.1:9",
        "REDMINE_API_KEY": "not-a-key",
        "REDMINE_MAX_RETRIES": "0",
    }
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "rrag.cli", "sync", "--json"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert out.returncode == 1 and json.loads(out.stdout)["status"] == "failed"
    imported = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if "|" in line}
    # each was looked up (so the guard is what stopped it) and none of its imports ran
    assert {"httpx._main", "trio", "httpcore._sync"} <= imported
    assert not imported & {"click", "rich", "pygments", "trio._core"}
