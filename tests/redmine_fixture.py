"""pytest plugin: a real, seeded, throwaway Redmine for tests marked `redmine`.

The session-scoped fixture `redmine` runs `scripts/redmine/redmine.sh install`
and `start` (Debian's Redmine 5.0 on a free loopback port, its files in a
pytest temp dir), seeds it with `scripts/redmine/seed.py`, yields a
`RedmineInstance` and stops the server at the end of the session. A failure
to install, start or seed fails every test that uses it, with the server log
tail; nothing is skipped.

For fast local iteration, reuse a running instance instead::

    scripts/redmine/redmine.sh start /tmp/rr 3999
    python scripts/redmine/seed.py --api-key-file /tmp/rr/env --summary /tmp/rr/seed-summary.json
    RRAG_TEST_REDMINE_URL=http://127.0.0.1:3999 RRAG_TEST_REDMINE_KEY_FILE=/tmp/rr/env pytest

The key file is DIR/env (or a file holding only the key); the seed summary is
read from RRAG_TEST_REDMINE_SUMMARY or `seed-summary.json` beside the key
file, and the instance is seeded first when there is none. Tests that check
seeded counts expect an unmodified instance.

Tests of tests/test_redmine_fixture.py run first: they check what the seed
promised before other tests change the shared instance.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
REDMINE_SH = ROOT / "scripts" / "redmine" / "redmine.sh"
SEED_PY = ROOT / "scripts" / "redmine" / "seed.py"
SELF_TESTS = "tests/test_redmine_fixture.py"


@dataclass(frozen=True)
class RedmineInstance:
    """A running Redmine; `api_key` is the admin's key (kept out of repr)."""

    base_url: str
    api_key: str = field(repr=False)
    summary: dict[str, Any] = field(repr=False)
    dir: Path | None

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx.Client on base_url that sends the X-Redmine-API-Key header."""
        kwargs.setdefault("timeout", httpx.Timeout(30.0))
        headers = {"X-Redmine-API-Key": self.api_key, **kwargs.pop("headers", {})}
        return httpx.Client(base_url=self.base_url, headers=headers, **kwargs)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(SELF_TESTS))


def _read_env(path: Path) -> dict[str, str]:
    text = path.read_text().strip()
    if "=" not in text:
        return {"REDMINE_API_KEY": text}
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"({path} not readable)"


def _run(cmd: list[str], what: str, log: Path | None) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode:
        detail = f"{what} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}"
        if log is not None:
            detail += f"\n--- last lines of {log} ---\n{_tail(log)}"
        pytest.fail(detail, pytrace=False)
    return proc.stdout


def _seed(env_file: Path, summary: Path, instance_dir: Path | None) -> dict[str, Any]:
    cmd = [sys.executable, str(SEED_PY), "--api-key-file", str(env_file), "--summary", str(summary)]
    if instance_dir is not None:
        cmd += ["--dir", str(instance_dir)]
    log = instance_dir / "server.log" if instance_dir else None
    _run(cmd, "seeding Redmine", log)
    return json.loads(summary.read_text())


def _reuse(url: str, key_file: Path) -> RedmineInstance:
    env = _read_env(key_file)
    instance_dir = Path(env["REDMINE_DIR"]) if env.get("REDMINE_DIR") else None
    default = key_file.parent / "seed-summary.json"
    summary = Path(os.environ.get("RRAG_TEST_REDMINE_SUMMARY", default))
    data = json.loads(summary.read_text()) if summary.exists() else None
    if data is None:
        data = _seed(key_file, summary, instance_dir)
    return RedmineInstance(url.rstrip("/"), env["REDMINE_API_KEY"], data, instance_dir)


@pytest.fixture(scope="session")
def redmine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedmineInstance]:
    """A seeded Redmine: base_url, api_key, summary (seed.py's JSON), dir, client()."""
    url = os.environ.get("RRAG_TEST_REDMINE_URL")
    key_file = os.environ.get("RRAG_TEST_REDMINE_KEY_FILE")
    if url and key_file:
        yield _reuse(url, Path(key_file))
        return
    _run([str(REDMINE_SH), "install"], "redmine.sh install", None)
    instance_dir = tmp_path_factory.mktemp("redmine")
    try:
        _run(
            [str(REDMINE_SH), "start", str(instance_dir), str(_free_port())],
            "redmine.sh start",
            instance_dir / "server.log",
        )
        env = _read_env(instance_dir / "env")
        summary = _seed(instance_dir / "env", instance_dir / "seed-summary.json", instance_dir)
        yield RedmineInstance(
            env["REDMINE_BASE_URL"], env["REDMINE_API_KEY"], summary, instance_dir
        )
    finally:
        subprocess.run(
            [str(REDMINE_SH), "stop", str(instance_dir)], check=False, capture_output=True
        )
