"""Shared fixtures: explicit settings on a temp data dir, an opened store, rrag's JSON log."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from rrag.logs import configure_logging
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


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """rrag's JSON log lines, written to a buffer for the test to read."""
    root = logging.getLogger("rrag")
    saved = (list(root.handlers), root.level, root.propagate)
    buffer = io.StringIO()
    configure_logging("INFO", buffer)
    yield buffer
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    root.propagate = saved[2]
