"""A failing sync with a canary API key: the canary appears nowhere we write."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

CANARY = "canary-key-5f1e9d2c7b3a"


class _LeakyRedmine(http.server.BaseHTTPRequestHandler):
    """Echoes the key back everywhere a careless client could pick it up."""

    def do_GET(self) -> None:
        key = self.headers.get("X-Redmine-API-Key", "")
        if self.path.startswith("/issue_statuses"):
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:1/login?key={key}&back={key}")
            self.end_headers()
            return
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(f'{{"errors": ["invalid key {key}"]}}'.encode())

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def leaky_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _LeakyRedmine)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _rrag(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rrag.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_canary_key_never_leaks(tmp_path: Path, leaky_url: str) -> None:
    data = tmp_path / "data"
    env = {
        **os.environ,
        "REDMINE_BASE_URL": leaky_url,
        "REDMINE_API_KEY": CANARY,
        "RRAG_DATA_DIR": str(data),
        "REDMINE_BACKOFF_BASE_S": "0",
        "RRAG_LOG_LEVEL": "DEBUG",
    }
    first = _rrag(["sync", "--json"], env)  # redirect carrying the key
    assert first.returncode == 1
    assert "redirect" in first.stdout
    env["REDMINE_BASE_URL"] = leaky_url + "/sub"  # now every answer is a 401 echoing it
    second = _rrag(["sync"], env)
    assert second.returncode == 1
    listing = _rrag(["jobs", "--json"], env)
    assert listing.returncode == 0 and '"failed"' in listing.stdout
    for out in (first, second, listing):
        assert CANARY not in out.stdout + out.stderr
    for path in data.rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path
