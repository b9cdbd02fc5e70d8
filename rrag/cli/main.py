"""The ``rrag`` command line: parse, run one command, map errors to one line + exit code.

Exit codes: 0 ok; 1 the operation failed (a failed job, an unreachable service);
2 bad input or configuration; 130 interrupted. No traceback reaches the user; the
JSON log on stderr keeps the details (secret-free).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rrag import __version__
from rrag.cli import (
    ask_cmd,
    extract_cmd,
    guardrails_cmd,
    index_cmds,
    ops_cmds,
    serve_cmd,
    sync_cmds,
)
from rrag.cli.context import Context, make_context
from rrag.errors import ConfigError, InputError, JobConflict, RragError
from rrag.logs import redact

COMMAND_MODULES = [sync_cmds, extract_cmd, index_cmds, serve_cmd, ask_cmd, ops_cmds, guardrails_cmd]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"rrag: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="rrag", description="Redmine RAG workbench")
    parser.add_argument("--version", action="version", version=f"rrag {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def _exit_code(exc: RragError) -> int:
    return 2 if isinstance(exc, ConfigError | InputError | JobConflict) else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    ctx: Context | None = None
    try:
        ctx = make_context()
        return int(args.func(ctx, args))
    except RragError as exc:
        print(f"rrag: error: {redact(str(exc))}", file=sys.stderr)
        return _exit_code(exc)
    except KeyboardInterrupt:
        print("rrag: interrupted", file=sys.stderr)
        return 130
    finally:
        if ctx is not None:
            ctx.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
