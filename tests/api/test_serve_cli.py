"""``rrag serve`` refuses unsafe configurations before binding anything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.live import free_port
from tests.api.test_serve_process import serve_env


@pytest.mark.parametrize(
    "extra, args, message",
    [
        ({}, ["--host", "0.0.0.0"], "refusing to bind 0.0.0.0 without RRAG_API_TOKENS"),
        ({"APP_ENV": "production"}, [], "RRAG_API_TOKENS must be set when APP_ENV=production"),
        ({"RRAG_API_TOKENS": "short"}, [], "invalid RRAG_API_TOKENS entry 1"),
    ],
)
def test_unsafe_configurations_refuse_to_start(
    tmp_path: Path, extra: dict[str, str], args: list[str], message: str
) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "rrag.cli", "serve", "--port", str(free_port()), *args],
        env=serve_env(tmp_path / "d", **extra),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
