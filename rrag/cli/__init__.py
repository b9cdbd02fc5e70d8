"""The ``rrag`` command line (``rrag`` or ``python -m rrag.cli``)."""

from rrag.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
