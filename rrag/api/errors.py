"""The one place rrag's errors (and Litestar's own) become HTTP responses.

Every error body is ``{"error": {"type": str, "message": str, ...context}}``; no traceback
and no secret ever reaches a client. :data:`EXCEPTION_HANDLERS` is the single mapping
passed to the app.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

from rrag.errors import (
    ConfigError,
    IndexStateError,
    InputError,
    JobConflict,
    JobNotFound,
    LLMError,
    RedmineError,
    RragError,
    StoreError,
)
from rrag.logs import get_logger, log_event, redact

log = get_logger("api.errors")

#: rrag error class → HTTP status (the most specific class in an error's MRO wins)
STATUS_BY_ERROR: dict[type[RragError], int] = {
    InputError: 422,
    JobNotFound: 404,
    JobConflict: 409,
    IndexStateError: 503,
    StoreError: 503,
    LLMError: 503,
    RedmineError: 502,
    ConfigError: 500,
    RragError: 500,
}
_HTTP_TYPES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}
#: context keys safe to echo to a client
_PUBLIC_CONTEXT = ("job_id", "status")


def error_response(
    status: int, type_name: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response[dict[str, Any]]:
    body = {"error": {"type": type_name, "message": redact(message)[:2000], **extra}}
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def _status_for(exc: RragError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def handle_rrag_error(request: Request[Any, Any, Any], exc: RragError) -> Response[Any]:
    status = _status_for(exc)
    extra = {k: exc.context[k] for k in _PUBLIC_CONTEXT if k in exc.context}
    if status >= 500:
        _log_failure(request, status, exc, str(exc), error_type=exc.type_name)
    return error_response(status, exc.type_name, str(exc), **extra)


def _log_failure(
    request: Request[Any, Any, Any], status: int, exc: Exception, error: str, **fields: Any
) -> None:
    """Every 5xx is logged at error level (what went wrong never reaches the client)."""
    log_event(
        log,
        "request_failed",
        level=logging.ERROR,
        path=request.url.path,
        status=status,
        exc_type=type(exc).__name__,
        error=error,
        **fields,
    )


def _validation_message(exc: ValidationException) -> str:
    details = exc.extra if isinstance(exc.extra, list) else []
    parts = []
    for item in details:
        if isinstance(item, dict):
            key, message = item.get("key"), str(item.get("message", ""))
            where = "request body" if key == "data" else key
            parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts) or str(exc.detail)


def handle_validation(_request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    return error_response(422, "invalid_input", _validation_message(exc))


def handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status >= 500:
        _log_failure(request, status, exc, str(exc.detail)[:500])
    return error_response(
        status, _HTTP_TYPES.get(status, "http_error"), str(exc.detail), headers=exc.headers
    )


#: Litestar modules that turn the request into handler arguments (body decoding included)
_REQUEST_PARSING = ("litestar._kwargs.", "litestar.connection.request")


def _while_parsing_request(exc: BaseException) -> bool:
    """True when ``exc`` was raised while Litestar decoded the request, not in our code.

    Both conditions: Litestar was extracting the handler's arguments, and the innermost
    Python frame is Litestar's own (msgspec is C code, so decoding ends in Litestar's
    ``decode_json``); a dependency provider of ours also runs under ``litestar._kwargs``.
    """
    modules = [
        str(frame.f_globals.get("__name__", ""))
        for frame, _line in traceback.walk_tb(exc.__traceback__)
    ]
    parsing = any(module.startswith(_REQUEST_PARSING) for module in modules)
    return parsing and modules[-1].startswith("litestar.")


def handle_recursion(request: Request[Any, Any, Any], exc: RecursionError) -> Response[Any]:
    """A body nested deeper than the decoder's recursion limit is the client's error.

    msgspec raises RecursionError (not a DecodeError) for ``[[[...]]]`` a thousand levels
    deep, and Litestar's ``decode_json`` only maps DecodeError to a 400. A RecursionError
    raised anywhere else is a crash of ours and stays a 500.
    """
    if _while_parsing_request(exc):
        return error_response(400, "bad_request", "request body nested too deeply")
    return handle_unexpected(request, exc)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    # the message may hold anything (paths, values): log its type and text, return neither
    log_event(
        log,
        "request_crashed",
        level=logging.ERROR,
        path=request.url.path,
        exc_type=type(exc).__name__,
        error=str(exc)[:500],
    )
    return error_response(500, "internal_error", "internal error (see the service log)")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    RragError: handle_rrag_error,
    ValidationException: handle_validation,
    HTTPException: handle_http,
    RecursionError: handle_recursion,
    Exception: handle_unexpected,
}

__all__ = ["EXCEPTION_HANDLERS", "STATUS_BY_ERROR", "error_response"]
