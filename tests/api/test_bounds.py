"""Input bounds and the uniform error body, including Litestar's own errors."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from litestar import Request
from litestar.testing import TestClient

from rrag.api import app as app_module
from rrag.api.services import Services
from rrag.errors import StoreError
from tests.api.conftest import OPS_TOKEN, AppFactory, auth


def _assert_error(response: Any, status: int, type_name: str, *words: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and {"type", "message"} <= set(body["error"])
    assert body["error"]["type"] == type_name
    assert "Traceback" not in response.text
    for word in words:
        assert word in body["error"]["message"], body


@pytest.mark.parametrize(
    "path, body, words",
    [
        ("/v1/search", {"query": "x", "colour": "red"}, ["unknown field", "colour"]),
        ("/v1/ask", {"question": "x", "k": 5, "extra": 1}, ["unknown field", "extra"]),
        ("/v1/sync/redmine", {"mode": "full", "project": 1}, ["unknown field", "project"]),
        ("/v1/search", {"query": "x", "k": 0}, ["k", ">= 1"]),
        ("/v1/search", {"query": "x", "k": 101}, ["k", "<= 100"]),
        ("/v1/search", {"query": "x" * 2001}, ["query", "2000"]),
        ("/v1/search", {"query": ""}, ["query"]),
        ("/v1/search", {"query": "x", "mode": "fuzzy"}, ["mode"]),
        ("/v1/search", {"query": "x", "project_ids": list(range(1, 102))}, ["project_ids", "100"]),
        ("/v1/search", {"query": "x", "project_ids": [2**31]}, ["project_ids", "2147483647"]),
        ("/v1/search", {"query": "x", "project_ids": [0]}, ["project_ids", ">= 1"]),
        ("/v1/sync/redmine", {"mode": "sometimes"}, ["mode"]),
        ("/v1/ask", {"k": 3}, ["question"]),
    ],
)
def test_out_of_bounds_bodies_get_422_naming_the_field(
    client: TestClient[Any], path: str, body: dict[str, Any], words: list[str]
) -> None:
    _assert_error(client.post(path, json=body, headers=auth()), 422, "invalid_input", *words)


@pytest.mark.parametrize(
    "url, words",
    [
        ("/v1/sync/jobs?limit=0", ["limit"]),
        ("/v1/sync/jobs?limit=101", ["limit"]),
        ("/v1/sync/jobs?status=lost", ["status"]),
        ("/v1/sync/jobs/not-a-uuid", ["not a job id"]),
        ("/v1/issues/0/similar", ["issue_id"]),
        ("/v1/issues/2147483648/similar", ["issue_id"]),
        ("/v1/issues/1/similar?k=500", ["k"]),
    ],
)
def test_out_of_bounds_params_get_422(client: TestClient[Any], url: str, words: list[str]) -> None:
    _assert_error(client.get(url, headers=auth()), 422, "invalid_input", *words)


def test_unknown_job_is_404(client: TestClient[Any]) -> None:
    response = client.get("/v1/sync/jobs/00000000-0000-4000-8000-000000000000", headers=auth())
    _assert_error(response, 404, "job_not_found", "no sync job")


def test_bodies_beyond_the_cap_get_413(client: TestClient[Any]) -> None:
    big = {"query": "x", "pad": "y" * 70_000}
    _assert_error(client.post("/v1/search", json=big, headers=auth()), 413, "request_too_large")


def test_litestar_errors_use_the_same_shape(client: TestClient[Any]) -> None:
    _assert_error(client.get("/v2/nothing", headers=auth()), 404, "not_found")
    _assert_error(client.delete("/healthz"), 405, "method_not_allowed")
    _assert_error(
        client.post("/v1/search", content=b"{not json", headers=auth()), 400, "bad_request"
    )
    _assert_error(
        client.post("/v1/search", content=b"[1, 2]", headers=auth()), 422, "invalid_input"
    )


DEEP = 5_000  # far past msgspec's recursion limit, well inside the 64 KiB body cap


@pytest.mark.parametrize(
    "path, body",
    [
        ("/v1/search", b"[" * DEEP + b"]" * DEEP),
        ("/v1/search", b'{"a":' * DEEP + b"1" + b"}" * DEEP),
        ("/v1/search", b'{"query": "x", "project_ids": ' + b"[" * DEEP + b"]" * DEEP + b"}"),
        ("/v1/ask", b'{"question":' * DEEP + b'"x"' + b"}" * DEEP),
        ("/v1/sync/redmine", b"[" * DEEP + b"]" * DEEP),
    ],
    ids=["search-array", "search-object", "search-field", "ask-object", "sync-array"],
)
def test_deeply_nested_bodies_get_400_not_a_crash(
    client: TestClient[Any], json_log: io.StringIO, path: str, body: bytes
) -> None:
    headers = {**auth(), "Content-Type": "application/json"}
    response = client.post(path, content=body, headers=headers)
    _assert_error(response, 400, "bad_request", "nested too deeply")
    assert "request_crashed" not in json_log.getvalue()


def _lines(buffer: io.StringIO, event: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    return [line for line in lines if line["event"] == event]


def test_a_crash_in_a_handler_is_a_500_logged_at_error_level(
    client: TestClient[Any], json_log: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(_self: Services) -> None:
        raise ValueError("/secret/place/rrag.db went missing")

    # the fault is injected under the handler: what is tested is the app's crash path
    monkeypatch.setattr(Services, "retriever", crash)
    response = client.post("/v1/search", json={"query": "x"}, headers=auth())
    _assert_error(response, 500, "internal_error", "internal error")
    assert "/secret/place" not in response.text
    [line] = _lines(json_log, "request_crashed")
    assert (line["level"], line["exc_type"], line["path"]) == ("error", "ValueError", "/v1/search")


def test_a_recursion_error_of_our_own_stays_a_500(
    client: TestClient[Any], json_log: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    def recurse(self: Services) -> None:
        recurse(self)

    monkeypatch.setattr(Services, "retriever", recurse)
    response = client.post("/v1/search", json={"query": "x"}, headers=auth())
    _assert_error(response, 500, "internal_error")
    [line] = _lines(json_log, "request_crashed")
    assert (line["level"], line["exc_type"]) == ("error", "RecursionError")


def test_a_recursion_error_in_a_dependency_of_ours_stays_a_500(
    make_client: AppFactory, json_log: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    # dependencies are resolved under litestar._kwargs, like the body: not a client error
    def recurse(request: Request[Any, Any, Any]) -> Services:
        return recurse(request)

    monkeypatch.setattr(app_module, "_services", recurse)
    client = make_client(f"{OPS_TOKEN}:private")
    response = client.post("/v1/search", json={"query": "x"}, headers=auth())
    _assert_error(response, 500, "internal_error")
    [line] = _lines(json_log, "request_crashed")
    assert (line["level"], line["exc_type"]) == ("error", "RecursionError")


def test_rrag_errors_answered_with_5xx_are_logged_at_error_level(
    client: TestClient[Any], json_log: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unusable(_self: Services) -> None:
        raise StoreError("the store is not usable: disk I/O error")

    monkeypatch.setattr(Services, "retriever", unusable)
    response = client.post("/v1/search", json={"query": "x"}, headers=auth())
    _assert_error(response, 503, "store_error")
    [line] = _lines(json_log, "request_failed")
    assert (line["level"], line["status"], line["exc_type"]) == ("error", 503, "StoreError")
