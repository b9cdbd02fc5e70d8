"""Fixtures for ops tests: a live data dir holding an "old" pair, a snapshot of a "new" one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rrag.ops import backup
from rrag.settings import Settings
from tests.ops.pairs import make_pair


@pytest.fixture
def live(tmp_path: Path) -> Settings:
    """Settings whose data dir holds the old pair: 30 indexed issues."""
    return make_pair(tmp_path / "live", issues=30, tag="old", generation=1)


@pytest.fixture
def new_snapshot(tmp_path: Path) -> dict[str, Any]:
    """A complete snapshot of a different pair: 45 indexed issues."""
    return backup(
        make_pair(tmp_path / "other", issues=45, tag="new", generation=2), tmp_path / "backups"
    )
