"""Arguments several commands share, defined once."""

from __future__ import annotations

import argparse

from rrag.retrieval.query import MAX_ID


def redmine_id(value: str) -> int:
    """An argparse type: a Redmine id, 1..2^31-1 (argparse turns the error into exit 2)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an id: {value!r}") from None
    if not 1 <= number <= MAX_ID:
        raise argparse.ArgumentTypeError(f"ids are 1..{MAX_ID}, got {number}")
    return number


def add_project_ids(parser: argparse.ArgumentParser, help: str) -> None:
    """``--project-id N`` (repeatable) into ``args.project_ids``; None when not given."""
    parser.add_argument(
        "--project-id", type=redmine_id, action="append", dest="project_ids", metavar="N", help=help
    )


__all__ = ["add_project_ids", "redmine_id"]
