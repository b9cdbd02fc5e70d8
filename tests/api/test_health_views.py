"""``/healthz`` tells an outsider a status per check and nothing else; detail needs a token.

The leaky setup: an Ollama base URL with a password (on a closed port), a Redmine host
the outbound policy complains about by name, an indexed store whose index file is gone
(the problem names the absolute path), one API token.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from rrag.api import create_app
from rrag.api.checks import without_credentials
from rrag.settings import LLMSettings, OllamaSettings, RedmineSettings, Settings
from tests.api.conftest import LOOPBACK_URL, AppFactory, auth
from tests.api.test_health import CHECKS, indexed
from tests.llm.test_ollama_probe import free_port

PASSWORD = "hunter2secret"
REDMINE_HOST = "redmine.internal.example"


def leaky(tmp_path: Path) -> Settings:
    settings = indexed(tmp_path)
    settings.store.index_path.unlink()
    redmine = {
        **settings.redmine.model_dump(),
        "base_url": f"http://{REDMINE_HOST}",  # plain http to a non-local host: named in an error
        "allowed_hosts": [REDMINE_HOST],
    }
    return settings.model_copy(
        update={
            "redmine": RedmineSettings(**redmine),
            "llm": LLMSettings(provider="ollama"),
            # settings refuse user-info in base URLs now; built past that check, the report
            # must still never print it (defence in depth, and any check may quote a URL)
            "ollama": OllamaSettings().model_copy(
                update={"base_url": f"http://user:{PASSWORD}@127.0.0.1:{free_port()}"}
            ),
        }
    )


@pytest.fixture
def leaky_client(tmp_path: Path) -> Any:
    settings = leaky(tmp_path)
    with TestClient(create_app(settings), base_url=LOOPBACK_URL) as client:
        yield client, settings


def test_anonymous_health_is_a_status_per_check_and_nothing_more(leaky_client: Any) -> None:
    client, settings = leaky_client
    response = client.get("/healthz")
    body = response.json()
    assert (response.status_code, body["status"]) in {(200, "degraded"), (503, "fail")}
    assert set(body) == {"status", "checks"} and list(body["checks"]) == CHECKS
    assert all(check.keys() == {"status"} for check in body["checks"].values()), body
    for secret in (PASSWORD, str(settings.store.data_dir), REDMINE_HOST, "127.0.0.1"):
        assert secret not in response.text
    assert not re.search(r"\d", response.text)  # no chunk, vector, job or token count


def test_detail_with_a_token_has_every_field_but_no_password(leaky_client: Any) -> None:
    client, settings = leaky_client
    response = client.get("/healthz?detail=1", headers=auth())
    body = response.json()
    assert body["status"] == client.get("/healthz").json()["status"]  # same verdict, more facts
    # the facts the public form hides are here, so the test above hides something real
    assert REDMINE_HOST in body["checks"]["config"]["outbound_policy"]["error"]
    assert str(settings.store.data_dir) in str(body["checks"]["index"]["problems"])
    assert body["checks"]["config"]["auth"]["tokens"] == 1
    assert body["checks"]["llm_runtime"]["reachable"] is False
    assert PASSWORD not in response.text


@pytest.mark.parametrize(
    "headers, message",
    [
        ({}, "a bearer token is required"),
        ({"Authorization": "Bearer not-a-token-0123456789"}, "not valid"),
    ],
)
def test_detail_without_a_valid_token_is_refused(
    leaky_client: Any, headers: dict[str, str], message: str
) -> None:
    client, _settings = leaky_client
    response = client.get("/healthz?detail=1", headers=headers)
    assert response.status_code == 401
    assert message in response.json()["error"]["message"]
    assert "checks" not in response.text and PASSWORD not in response.text


def test_detail_is_open_in_development_without_tokens(make_client: AppFactory) -> None:
    client = make_client()
    short = client.get("/healthz").json()
    assert short["checks"]["config"] == {"status": "degraded"}
    detail = client.get("/healthz?detail=1").json()
    assert detail["checks"]["config"]["auth"]["tokens"] == 0


@pytest.mark.parametrize(
    "text, expected",
    [
        ("at http://u:p@h:1/x failed", "at http://h:1/x failed"),
        ("https://user:p@ss@host/path?a=b@c", "https://host/path?a=b@c"),
        ("HTTP://ONLY-USER@host", "HTTP://host"),
        ("no url, a@b.example", "no url, a@b.example"),
    ],
)
def test_user_info_is_cut_from_urls_anywhere_in_a_report(text: str, expected: str) -> None:
    report = {"a": [text, {"b": (text,)}], "n": 3}
    assert without_credentials(report) == {"a": [expected, {"b": [expected]}], "n": 3}
