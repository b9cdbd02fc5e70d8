"""JSON-lines logging with secret redaction.

Every record is one JSON object: ``ts``, ``level``, ``event`` and any structured fields
passed through :func:`log_event` (``job_id``, ``project_ids`` ...). Secrets registered
with :func:`register_secrets` are replaced by ``***`` in the final line, whatever path
they took into it (a message, a field, an exception text or a URL). Third-party HTTP
libraries log through the same redacting handler, at WARNING at most (see
:func:`configure_logging`).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from datetime import UTC, datetime
from typing import Any, TextIO

_SECRETS: set[str] = set()
_LOCK = threading.Lock()
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None)))


def register_secrets(*values: str) -> None:
    """Remember values that must never be written to a log or printed."""
    with _LOCK:
        _SECRETS.update(v for v in values if v and len(v) >= 4)


def redact(text: str) -> str:
    """Replace every registered secret in ``text`` with ``***``."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "***")
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line; secrets redacted last."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "event": record.getMessage(),
            "logger": record.name,
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                payload[key] = value
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            payload["exc_type"] = type(exc).__name__
            payload["exc_message"] = str(exc)
        return redact(json.dumps(payload, default=str, ensure_ascii=False))


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is when a record is emitted.

    Why not bind it once: pytest, papermill kernels and redirect_stderr swap stderr, and
    a handler holding the old object writes into a closed file from background threads.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr  # emit runs under the handler's lock
        super().emit(record)


#: Libraries that log request lines with full URLs (httpx: ``HTTP Request: GET <url>``)
#: or connection details. They are capped at WARNING and written only through rrag's
#: redacting handler, never through the root logger or a handler of their own.
THIRD_PARTY_LOGGERS = ("httpx", "httpcore", "urllib3", "ollama", "openai", "hpack", "h11")


def configure_logging(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Send rrag's logs as JSON lines to ``stream`` (the current stderr by default).

    Third-party loggers (:data:`THIRD_PARTY_LOGGERS`) share the same redacting handler at
    WARNING or above whatever ``level`` is: their INFO/DEBUG lines print URLs and would
    bypass rrag's redaction through the root logger.
    """
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(JsonFormatter())
    _attach(logging.getLogger("rrag"), handler, level)
    for name in THIRD_PARTY_LOGGERS:
        _attach(logging.getLogger(name), handler, max(logging.WARNING, _level(level)))


def _level(level: str | int) -> int:
    return level if isinstance(level, int) else logging.getLevelNamesMapping()[level.upper()]


def _attach(logger: logging.Logger, handler: logging.Handler, level: str | int) -> None:
    for old in list(logger.handlers):
        logger.removeHandler(old)
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name if name.startswith("rrag") else f"rrag.{name}")


def log_event(logger: logging.Logger, event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log ``event`` with structured ``fields`` (they become top-level JSON keys)."""
    logger.log(level, event, extra=fields)


__all__ = [
    "THIRD_PARTY_LOGGERS",
    "JsonFormatter",
    "configure_logging",
    "get_logger",
    "log_event",
    "redact",
    "register_secrets",
]
