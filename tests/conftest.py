"""Shared fixtures: explicit settings on a temp data dir, an opened store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rrag.settings import RedmineSettings, Settings, StoreSettings
from rrag.store.db import Store, open_store

pytest_plugins = ["tests.redmine_fixture", "tests.llm.llama_server"]


def make_settings(data_dir: Path, **redmine: object) -> Settings:
    """Settings for tests: a temp data dir and fast backoff; nothing read implicitly."""
    rs = {
        "base_url": "http://127.0.0.1:3000",
        "api_key": "test-key-0000",
        "backoff_base_s": 0.001,
        "backoff_max_s": 0.01,
        **redmine,
    }
    return Settings(redmine=RedmineSettings(**rs), store=StoreSettings(data_dir=data_dir))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    s = open_store(settings.store.data_dir)
    yield s
    s.close()
