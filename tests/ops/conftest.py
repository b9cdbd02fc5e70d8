"""Fixtures for ops tests: a live data dir holding an "old" pair, a snapshot of a "new" one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rrag.ops import backup
from rrag.settings import Settings
from tests.conftest import make_settings
from tests.ops.pairs import make_pair


@pytest.fixture
def live(tmp_path: Path) -> Settings:
    """Settings whose data dir holds the old pair: 30 issues, generation 1."""
    settings = make_settings(tmp_path / "live")
    make_pair(settings.store.data_dir, issues=30, generation=1, tag="old")
    return settings


@pytest.fixture
def new_snapshot(tmp_path: Path) -> dict[str, Any]:
    """A complete snapshot of a different pair: 45 issues, generation 2."""
    other = make_settings(tmp_path / "other")
    make_pair(other.store.data_dir, issues=45, generation=2, tag="new")
    return backup(other, tmp_path / "backups")
