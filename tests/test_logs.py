"""rrag's JSON log handler: structured lines, and stderr looked up at emit time."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import redirect_stderr

import pytest

from rrag.logs import configure_logging, get_logger, log_event


@pytest.fixture
def restore_rrag_logging() -> Iterator[None]:
    root = logging.getLogger("rrag")
    saved = (list(root.handlers), root.level, root.propagate)
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    root.propagate = saved[2]


def test_default_handler_follows_stderr_even_after_the_old_one_is_closed(
    restore_rrag_logging: None,
) -> None:
    first, second = io.StringIO(), io.StringIO()
    with redirect_stderr(first):
        configure_logging("INFO")
        log_event(get_logger("test"), "one", n=1)
    first.close()  # what pytest does to a test's captured stderr when the test ends
    with redirect_stderr(second):
        log_event(get_logger("test"), "two", n=2)
    line = json.loads(second.getvalue())
    assert (line["event"], line["n"], line["logger"]) == ("two", 2, "rrag.test")
