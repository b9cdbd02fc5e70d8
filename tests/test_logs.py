"""rrag's JSON log handler: structured lines, stderr looked up at emit time, and the HTTP
libraries' own lines kept behind the same redaction."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import redirect_stderr

import httpx
import pytest

from rrag.logs import (
    THIRD_PARTY_LOGGERS,
    configure_logging,
    get_logger,
    log_event,
    register_secrets,
)


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


@pytest.fixture
def restore_third_party_logging() -> Iterator[None]:
    loggers = [logging.getLogger(n) for n in ("rrag", "", *THIRD_PARTY_LOGGERS)]
    saved = [(list(lg.handlers), lg.level, lg.propagate) for lg in loggers]
    yield
    for lg, (handlers, level, propagate) in zip(loggers, saved, strict=True):
        lg.handlers[:] = handlers
        lg.setLevel(level)
        lg.propagate = propagate


def test_http_library_lines_never_bypass_redaction(restore_third_party_logging: None) -> None:
    secret = "canary-9d3f1b7e2a"
    # an application (uvicorn, a notebook's basicConfig) logging everything at DEBUG
    outside = io.StringIO()
    root = logging.getLogger()
    root.addHandler(logging.StreamHandler(outside))
    root.setLevel(logging.DEBUG)
    ours = io.StringIO()
    register_secrets(secret)
    configure_logging("DEBUG", ours)
    mock = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    with httpx.Client(transport=mock, headers={"X-Redmine-API-Key": secret}) as http:
        http.get(f"https://redmine.example/issues.json?key={secret}")
    logging.getLogger("httpx").warning("retrying https://redmine.example/?key=%s", secret)
    assert secret not in outside.getvalue() + ours.getvalue()
    assert "HTTP Request" not in outside.getvalue() + ours.getvalue()  # INFO: capped
    (line,) = [json.loads(raw) for raw in ours.getvalue().splitlines()]
    assert line["logger"] == "httpx" and line["event"].endswith("?key=***")
