"""The ``rrag`` process: start-up and exit around :func:`rrag.cli.main.main`.

At exit the interpreter would run its collector while it tears down every module, which
a short command (an incremental sync, a search) pays for in full: :func:`gc.freeze`
first. Everything that must be released (the store, files, HTTP clients) is closed by
``main`` before it returns.
"""

from __future__ import annotations

import gc
import sys
from typing import NoReturn


def run() -> NoReturn:
    """Run the CLI on ``sys.argv`` and exit with its code."""
    from rrag.cli.main import main

    code = main()
    sys.stdout.flush()
    gc.freeze()
    sys.exit(code)


__all__ = ["run"]
