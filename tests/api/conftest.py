"""Apps under test: real settings on a temp data dir, the real app through TestClient."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from rrag.api import create_app
from rrag.settings import ApiSettings, EmbeddingSettings, Settings
from tests.conftest import make_settings

OPS_TOKEN = "ops-token-0123456789abcdef"  # :admin in the fixtures: every project
APP_TOKEN = "app-token-0123456789abcdef"  # projects 1 and 2 only
PLAIN_TOKEN = "plain-token-0123456789abcdef"  # no options: the public projects
CLOSED_PORT_URL = "http://127.0.0.1:9"  # discard port: nothing listens, connect is refused
LOOPBACK_URL = "http://127.0.0.1"  # TestClient base URL (its default Host is not loopback)


def api_settings(
    data_dir: Path, tokens: str = "", app_env: str = "development", **redmine: Any
) -> Settings:
    base = make_settings(data_dir, **{"base_url": CLOSED_PORT_URL, "max_retries": 0, **redmine})
    return base.model_copy(
        update={
            "api": ApiSettings(tokens=tokens),
            "app_env": app_env,
            "embedding": EmbeddingSettings(provider="hashing"),
        }
    )


def auth(token: str = OPS_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


AppFactory = Callable[..., TestClient[Any]]


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[AppFactory]:
    """Build a started TestClient; each is closed (lifespan shutdown) at teardown."""
    clients: list[TestClient[Any]] = []

    def build(
        tokens: str = "", transport: httpx.BaseTransport | None = None, **kwargs: Any
    ) -> TestClient[Any]:
        settings = api_settings(tmp_path / "data", tokens, **kwargs)
        # a loopback Host, as a real local caller sends: without tokens the app refuses others
        app = create_app(settings, redmine_transport=transport)
        client = TestClient(app, base_url=LOOPBACK_URL)
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: AppFactory) -> TestClient[Any]:
    """An app with an admin ops token and a token limited to projects 1 and 2."""
    return make_client(f"{OPS_TOKEN}:admin,{APP_TOKEN}:projects=1|2")
