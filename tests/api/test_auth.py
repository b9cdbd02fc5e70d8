"""Authentication: token format, the route-table walk, bind policy, project scopes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from rrag.api import TokenTable, check_bind, create_app
from rrag.api.auth import is_public
from rrag.api.scope import OUT_OF_SCOPE
from rrag.errors import ConfigError
from tests.api.conftest import (
    APP_TOKEN,
    OPS_TOKEN,
    PLAIN_TOKEN,
    AppFactory,
    api_settings,
    auth,
)

SAMPLE_VALUES = {
    "job_id": "00000000-0000-4000-8000-000000000000",
    "issue_id": "1",
    "path": "openapi.json",
}
SAMPLE_BODIES = {"/v1/sync/redmine": {}, "/v1/search": {"query": "x"}, "/v1/ask": {"question": "x"}}


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: SAMPLE_VALUES[m.group(1)], path)


def _routes(client: TestClient[Any]) -> list[tuple[str, str]]:
    found = []
    for route in client.app.routes:
        for method in getattr(route, "methods", ()):
            if method not in {"HEAD", "OPTIONS"}:
                found.append(
                    (method, route.path_format if hasattr(route, "path_format") else route.path)
                )
    return found


def test_every_route_but_health_and_schema_requires_a_token(client: TestClient[Any]) -> None:
    routes = _routes(client)
    assert len(routes) >= 8  # our 7 routes plus the schema's
    public = sorted({path for _m, path in routes if is_public(path)})
    assert public[0] == "/healthz" and all(p.startswith("/schema") for p in public[1:])
    for method, path in routes:
        url = _concrete(path)
        response = client.request(method, url, json=SAMPLE_BODIES.get(path))
        if is_public(path):
            assert response.status_code != 401, (method, path)
            continue
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json() == {
            "error": {"type": "unauthorized", "message": response.json()["error"]["message"]}
        }


def test_wrong_token_is_refused_and_right_token_accepted(client: TestClient[Any]) -> None:
    assert client.get("/v1/sync/jobs", headers=auth("x" * 30)).status_code == 401
    assert client.get("/v1/sync/jobs", headers={"Authorization": OPS_TOKEN}).status_code == 401
    assert client.get("/v1/sync/jobs", headers=auth()).status_code == 200
    assert client.get("/v1/sync/jobs", headers=auth(APP_TOKEN)).status_code == 200


def test_token_scoped_to_projects_cannot_reach_others(client: TestClient[Any]) -> None:
    response = client.post(
        "/v1/sync/redmine", json={"project_ids": [1, 3]}, headers=auth(APP_TOKEN)
    )
    assert response.status_code == 403
    assert response.json()["error"]["message"] == OUT_OF_SCOPE
    response = client.post(
        "/v1/search", json={"query": "crash", "project_ids": [7]}, headers=auth(APP_TOKEN)
    )
    assert response.status_code == 403


def test_health_is_public_and_reports_auth(make_client: AppFactory) -> None:
    open_app = make_client()
    body = open_app.get("/healthz?detail=1").json()  # detail is open without tokens
    assert body["checks"]["config"]["auth"]["status"] == "degraded"
    assert body["status"] != "ok"
    # without tokens the development service answers protected routes
    assert open_app.get("/v1/sync/jobs").status_code == 200


def test_health_with_tokens_reports_auth_ok(client: TestClient[Any]) -> None:
    detail = client.get("/healthz?detail=1", headers=auth()).json()
    auth_check = detail["checks"]["config"]["auth"]
    assert auth_check == {"status": "ok", "tokens": 2}


@pytest.mark.parametrize(
    "raw, message",
    [
        ("short", "at least 16 characters"),
        ("changeme-changeme-changeme", "placeholder"),
        ("good-token-0123456789:projects=a", "projects= takes positive ids"),
        ("good-token-0123456789:root", "unknown option"),
        ("good-token-0123456789:admin:projects=1", "entry 1: admin is unscoped"),
        ("good-token-0123456789,good-token-9876543210:projects=2:admin", "entry 2: admin"),
        ("good-token-0123456789,good-token-0123456789", "appears twice"),
        ("good token with spaces 0123", "at least 16 characters"),
    ],
)
def test_bad_token_settings_are_refused_without_echoing_them(raw: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        TokenTable.parse(raw)
    assert "0123456789" not in str(caught.value)


def test_token_entries_map_to_scopes() -> None:
    table, raw = TokenTable.parse(
        f"{OPS_TOKEN}:admin, {APP_TOKEN}:projects=1|2, {PLAIN_TOKEN}:private"
    )
    assert raw == [OPS_TOKEN, APP_TOKEN, PLAIN_TOKEN]
    ops, app = table.lookup(OPS_TOKEN), table.lookup(APP_TOKEN)
    private = table.lookup(PLAIN_TOKEN)
    assert ops is not None and ops.project_ids is None and ops.see_private and ops.is_admin
    assert app is not None and app.project_ids == frozenset({1, 2}) and not app.see_private
    assert not app.is_admin
    # :private sees private content within the public projects, but is no admin
    assert private is not None and private.see_private and not private.is_admin
    assert table.lookup(OPS_TOKEN + "x") is None
    assert OPS_TOKEN not in repr(table.__dict__)  # only digests are kept


def test_production_without_tokens_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="RRAG_API_TOKENS must be set"):
        create_app(api_settings(tmp_path, app_env="production"))


def test_a_bad_glossary_refuses_to_start_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "glossary.json"
    bad.write_text('{"issue": "ticket"}')
    settings = api_settings(tmp_path)
    retrieval = settings.retrieval.model_copy(update={"glossary": str(bad)})
    with pytest.raises(ConfigError, match=r"glossary\.json") as caught:
        create_app(settings.model_copy(update={"retrieval": retrieval}))
    assert "must map to a list" in str(caught.value)


def test_development_without_tokens_binds_loopback_only(tmp_path: Path) -> None:
    settings = api_settings(tmp_path)
    check_bind(settings, "127.0.0.1")
    check_bind(settings, "::1")
    with pytest.raises(ConfigError, match=r"refusing to bind 0\.0\.0\.0"):
        check_bind(settings, "0.0.0.0")
    check_bind(api_settings(tmp_path, tokens=OPS_TOKEN), "0.0.0.0")


@pytest.mark.parametrize("tokens", [",", " ", ", ,", " , , "])
def test_a_token_list_of_only_commas_and_blanks_is_no_token_list(
    tmp_path: Path, tokens: str
) -> None:
    """Issue 12 hole 6: the loopback-only rule reads the parsed tokens, not the raw value."""
    settings = api_settings(tmp_path, tokens=tokens)
    check_bind(settings, "127.0.0.1")
    with pytest.raises(ConfigError, match=r"refusing to bind 0\.0\.0\.0 without"):
        check_bind(settings, "0.0.0.0")
    with pytest.raises(ConfigError, match="RRAG_API_TOKENS must be set"):
        check_bind(api_settings(tmp_path, tokens=tokens, app_env="production"), "127.0.0.1")
    with pytest.raises(ConfigError, match="RRAG_API_TOKENS must be set"):
        create_app(api_settings(tmp_path, tokens=tokens, app_env="production"))
