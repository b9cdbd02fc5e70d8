"""Search input: its limits and modes (defined here once), validation, issue references.

The API's request schemas (:mod:`rrag.api.schemas`), the CLI's argparse choices and the
library's checks all read the limits and modes below, so they cannot drift apart. This
module imports nothing heavy: the CLI reads it while parsing arguments.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal, get_args

from rrag.errors import InputError

Mode = Literal["lexical", "vector", "hybrid"]
#: every search mode, in the order evaluations report them
MODES: tuple[Mode, ...] = get_args(Mode)
DEFAULT_MODE: Mode = "hybrid"
Status = Literal["open", "closed"]
STATUSES: tuple[Status, ...] = get_args(Status)
#: the longest query or question, in characters
MAX_QUERY_CHARS = 2000
#: the most results one search returns (and the most issues an answer reads)
MAX_K = 100
DEFAULT_K = 10
#: how many issues an answer reads by default
DEFAULT_ASK_K = 5
#: the largest Redmine id (issue, project): they are 32-bit signed integers
MAX_ID = 2**31 - 1
NO_WORDS = "the query has no letters or digits: nothing to search for"
_REFERENCE = re.compile(
    r"^\s*(?:#|issue\s*#?\s*|bug\s*#?\s*|feature\s*#?\s*)(\d{1,9})\s*$", re.IGNORECASE
)


def check_query(query: object) -> str:
    """The query stripped; InputError when empty, too long or not text."""
    if not isinstance(query, str) or not query.strip():
        raise InputError("the query is empty: give some words to search for", field="query")
    if len(query) > MAX_QUERY_CHARS:
        raise InputError(
            f"the query has {len(query)} characters; the limit is {MAX_QUERY_CHARS}", field="query"
        )
    return query.strip()


def has_words(query: str) -> bool:
    """Whether ``query`` has a letter or digit: the lexical analyzer splits on everything
    else, so a query of punctuation alone (``?!``, ``---``) has no term to match, and a vector
    search for it would return whatever lies nearest to noise."""
    return any(ch.isalnum() for ch in query)


def check_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise InputError(f"k must be an integer from 1 to {MAX_K} (got {k!r})", field="k")
    return k


def check_mode(mode: object) -> Mode:
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}", field="mode")
    return mode


def check_status(status: object) -> str | None:
    if status is not None and status not in STATUSES:
        raise InputError(
            f"status must be 'open', 'closed' or empty (got {status!r})", field="status"
        )
    return None if status is None else str(status)


def check_since(value: object) -> str | None:
    """An ISO date or datetime, returned as a UTC ISO string comparable with ``updated_on``."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"updated_since must be an ISO date such as 2024-05-01 (got {value!r})",
            field="updated_since",
        ) from None
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")


def issue_reference(query: str) -> int | None:
    """The issue id when the whole query is a reference (``#12``, ``issue 12``)."""
    match = _REFERENCE.match(query)
    return int(match.group(1)) if match else None


__all__ = [
    "DEFAULT_ASK_K",
    "DEFAULT_K",
    "DEFAULT_MODE",
    "MAX_ID",
    "MAX_K",
    "MAX_QUERY_CHARS",
    "MODES",
    "NO_WORDS",
    "STATUSES",
    "Mode",
    "Status",
    "check_k",
    "check_mode",
    "check_query",
    "check_since",
    "check_status",
    "has_words",
    "issue_reference",
]
