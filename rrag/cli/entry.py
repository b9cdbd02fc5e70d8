"""The ``rrag`` process: start-up and exit around :func:`rrag.cli.main.main`.

A short command (an incremental sync, a search) is mostly fixed process cost, so two
things the CLI never uses are skipped here, before anything is imported:

* optional imports: httpx imports its own command-line client when ``click`` and ``rich``
  are installed (~70 ms), and httpcore imports ``trio`` when installed, to support async
  code under trio (~85 ms, with a ``ldconfig -p`` subprocess). A ``None`` entry in
  ``sys.modules`` makes their guarded imports raise ImportError, which both handle;
* the interpreter's collections while it tears down every module at exit (~0.3 s after
  an incremental sync on this 2-core machine): :func:`gc.freeze` first. Everything that
  must be released (the store, files, HTTP clients) is closed by ``main`` before it returns.

What each saves is measured in benchmarks/RESULTS.md (Sync).
"""

from __future__ import annotations

import gc
import sys
from typing import NoReturn

UNUSED_OPTIONAL_MODULES = ("httpx._main", "trio")


def run() -> NoReturn:
    """Run the CLI on ``sys.argv`` and exit with its code."""
    for name in UNUSED_OPTIONAL_MODULES:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
    from rrag.cli.main import main

    code = main()
    sys.stdout.flush()
    gc.freeze()
    sys.exit(code)


__all__ = ["UNUSED_OPTIONAL_MODULES", "run"]
