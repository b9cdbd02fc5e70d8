"""Development mode without tokens: loopback ``Host`` only, JSON bodies only on writes.

What a web page in the operator's browser could otherwise do to a token-less service on
127.0.0.1: read the store through DNS rebinding (its own name in ``Host``) or start a sync
with a cross-site form post (a ``text/plain``, form or multipart body, no preflight).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from rrag.api import create_app
from rrag.api.origin import is_json_media_type, is_loopback_authority
from rrag.index import IndexUpdater
from rrag.store.db import open_store
from tests.api.conftest import OPS_TOKEN, AppFactory, api_settings, auth
from tests.api.live import serving
from tests.index.seed import small_corpus
from tests.sync.fake_redmine import FakeRedmine

EVIL = {"Host": "evil.example"}
SEARCH = {"query": "LDAP login", "k": 5}


@pytest.fixture
def open_client(tmp_path: Path, make_client: AppFactory) -> TestClient[Any]:
    """No tokens, an indexed corpus (so a refused read has data to leak), a fake Redmine."""
    settings = api_settings(tmp_path / "data")
    store = open_store(settings.store.data_dir)
    small_corpus(store)
    IndexUpdater(settings, store).drain()
    store.close()
    fake = FakeRedmine()
    fake.add_issue(1)
    return make_client(transport=fake.transport())


def assert_refused(response: httpx.Response, status: int, type_name: str, text: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["type"] == type_name
    assert text in body["error"]["message"]


def job_count(client: TestClient[Any]) -> int:
    return len(client.get("/v1/sync/jobs").json()["jobs"])


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("POST", "/v1/search", SEARCH),
        ("GET", "/v1/sync/jobs", None),
        ("GET", "/v1/issues/10/similar", None),
        ("GET", "/healthz", None),
        ("GET", "/schema/openapi.json", None),
    ],
)
def test_a_foreign_host_reads_nothing(
    open_client: TestClient[Any], method: str, path: str, body: Any
) -> None:
    response = open_client.request(method, path, json=body, headers=EVIL)
    assert_refused(response, 400, "bad_request", "loopback host")
    assert "LDAP" not in response.text and "results" not in response.text


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost", "LOCALHOST:1", "[::1]:8000"])
def test_loopback_hosts_read_as_before(open_client: TestClient[Any], host: str) -> None:
    response = open_client.post("/v1/search", json=SEARCH, headers={"Host": host})
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["issue_id"] == 10


@pytest.mark.parametrize(
    "content",
    [
        {"content": b'{"mode": "full"}', "headers": {"Content-Type": "text/plain"}},
        {"data": {"mode": "full"}},  # application/x-www-form-urlencoded
        {"files": {"mode": ("m", b"full", "text/plain")}},  # multipart/form-data
        {"content": b'{"mode": "full"}'},  # no content type at all
    ],
)
def test_a_cross_site_form_post_starts_no_sync(
    open_client: TestClient[Any], content: dict[str, Any]
) -> None:
    response = open_client.post("/v1/sync/redmine", **content)
    assert_refused(response, 415, "unsupported_media_type", "Content-Type: application/json")
    assert job_count(open_client) == 0


def test_a_json_post_from_loopback_starts_a_sync(open_client: TestClient[Any]) -> None:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    response = open_client.post("/v1/sync/redmine", content=b'{"mode": "full"}', headers=headers)
    assert response.status_code == 202, response.text
    assert job_count(open_client) == 1


def test_with_tokens_a_named_host_is_served(make_client: AppFactory) -> None:
    client = make_client(f"{OPS_TOKEN}:admin")
    headers = {**auth(), "Host": "rrag.internal.example"}
    assert client.get("/v1/sync/jobs", headers=headers).status_code == 200
    assert client.post("/v1/search", json=SEARCH, headers=headers).status_code == 200


def test_the_guard_holds_over_real_http(tmp_path: Path) -> None:
    with serving(create_app(api_settings(tmp_path / "data"))) as url:
        refused = httpx.get(f"{url}/v1/sync/jobs", headers=EVIL)
        served = httpx.get(f"{url}/v1/sync/jobs")
    assert_refused(refused, 400, "bad_request", "loopback host")
    assert served.status_code == 200 and served.json()["jobs"] == []


@pytest.mark.parametrize(
    "host, loopback",
    [
        ("127.0.0.1", True),
        ("127.0.0.1:8000", True),
        ("127.0.0.2", True),
        ("localhost:65535", True),
        ("[::1]", True),
        ("[::1]:8000", True),
        ("evil.example", False),
        ("127.0.0.1.evil.example", False),
        ("localhost.evil.example:80", False),
        ("evil.example:127.0.0.1", False),
        ("::1", False),  # an IPv6 literal must come in brackets
        ("[::1", False),
        ("127.0.0.1:port", False),
        ("0.0.0.0", False),
        ("", False),
        (None, False),
    ],
)
def test_loopback_authority(host: str | None, loopback: bool) -> None:
    assert is_loopback_authority(host) is loopback


@pytest.mark.parametrize(
    "content_type, json",
    [
        ("application/json", True),
        ("Application/JSON; charset=utf-8", True),
        ("application/merge-patch+json", True),
        ("text/plain", False),
        ("text/plain; charset=utf-8", False),
        ("application/x-www-form-urlencoded", False),
        ("multipart/form-data; boundary=x", False),
        ("application/jsonp", False),
        ("text/json", False),
        ("", False),
        (None, False),
    ],
)
def test_json_media_type(content_type: str | None, json: bool) -> None:
    assert is_json_media_type(content_type) is json
