"""An ``:admin`` token searches every project; other unscoped tokens the public ones.

A real store with public project 1 and non-public project 3, indexed, behind the real app.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from rrag.index import IndexUpdater
from rrag.store.db import open_store
from tests.api.conftest import OPS_TOKEN, PLAIN_TOKEN, AppFactory, api_settings, auth
from tests.index.seed import issue, project

PRIVATE_TOKEN = "private-token-0123456789abcdef"
TOKENS = f"{OPS_TOKEN}:admin,{PLAIN_TOKEN},{PRIVATE_TOKEN}:private"


@pytest.fixture
def client(make_client: AppFactory, tmp_path: Path) -> TestClient[Any]:
    data = tmp_path / "data"
    store = open_store(data)
    try:
        project(store, 1)
        project(store, 3, public=False)
        issue(store, 10, "Quokka importer crashes", "quokka stops on a blank line")
        issue(store, 11, "Quokka secret incident", "quokka private", private=True)
        issue(store, 13, "Quokka roadmap", "quokka in the hidden project", project_id=3)
        IndexUpdater(api_settings(data, TOKENS), store).drain()
    finally:
        store.close()
    return make_client(TOKENS)


def found(client: TestClient[Any], token: str, mode: str) -> set[int]:
    body = {"query": "quokka", "k": 20, "mode": mode}
    response = client.post("/v1/search", json=body, headers=auth(token))
    assert response.status_code == 200, response.text
    return {hit["issue_id"] for hit in response.json()["results"]}


@pytest.mark.parametrize("mode", ["lexical", "vector", "hybrid"])
def test_admin_sees_every_project_and_private_issues(client: TestClient[Any], mode: str) -> None:
    assert found(client, OPS_TOKEN, mode) == {10, 11, 13}
    assert found(client, PRIVATE_TOKEN, mode) == {10, 11}  # :private is not :admin
    assert found(client, PLAIN_TOKEN, mode) == {10}
