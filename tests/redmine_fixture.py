"""pytest plugin: a real, seeded, throwaway Redmine for tests marked `redmine`.

The session-scoped fixture `redmine` runs `scripts/redmine/redmine.sh install`
and `start` (Debian's Redmine 5.0 on a free loopback port, its files in a
fresh /tmp/rrag-test-redmine-* dir, removed afterwards unless
RRAG_TEST_REDMINE_KEEP=1), seeds it with `scripts/redmine/seed.py`, yields a
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

Seeding over REST takes ~20 s (more on a busy machine), so after seeding the
fixture keeps a snapshot of the seeded database and attachments under
/tmp/rrag-redmine-template/seeded-HASH/ (HASH covers scripts/redmine/* and
the Redmine version; the admin API key is removed from the copy). Later
sessions start from that snapshot: `redmine.sh start` gives the instance a
fresh API key. RRAG_TEST_REDMINE_FRESH=1 seeds over REST regardless.

Tests of tests/test_redmine_fixture.py run first: they check what the seed
promised before other tests change the shared instance.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
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
SNAPSHOTS = Path(os.environ.get("RRAG_REDMINE_TEMPLATE_DIR", "/tmp/rrag-redmine-template"))


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


def _snapshot_dir() -> Path:
    digest = hashlib.sha256()
    for path in sorted(REDMINE_SH.parent.iterdir()):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    version = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "redmine"], capture_output=True, text=True
    ).stdout
    digest.update(version.encode())
    return SNAPSHOTS / f"seeded-{digest.hexdigest()[:16]}"


def _save_snapshot(instance_dir: Path, snapshot: Path) -> None:
    """Copy the just-seeded DB (SQLite backup API) and attachments, minus API keys."""
    tmp = snapshot.with_name(f"{snapshot.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(instance_dir / "files", tmp / "files")
    with (
        sqlite3.connect(instance_dir / "db.sqlite3") as src,
        sqlite3.connect(tmp / "db.sqlite3") as dst,
    ):
        src.backup(dst)
        dst.execute("DELETE FROM tokens WHERE action = 'api'")
    src.close()
    dst.close()
    shutil.copy(instance_dir / "seed-summary.json", tmp / "seed-summary.json")
    try:
        tmp.rename(snapshot)
    except OSError:  # another session saved it first
        shutil.rmtree(tmp, ignore_errors=True)


def _load_snapshot(snapshot: Path, instance_dir: Path) -> bool:
    if os.environ.get("RRAG_TEST_REDMINE_FRESH") == "1" or not snapshot.is_dir():
        return False
    shutil.copytree(snapshot / "files", instance_dir / "files", dirs_exist_ok=True)
    shutil.copy(snapshot / "db.sqlite3", instance_dir / "db.sqlite3")
    shutil.copy(snapshot / "seed-summary.json", instance_dir / "seed-summary.json")
    return True


def _start_seeded(instance_dir: Path) -> RedmineInstance:
    snapshot = _snapshot_dir()
    restored = _load_snapshot(snapshot, instance_dir)
    _run(
        [str(REDMINE_SH), "start", str(instance_dir), str(_free_port())],
        "redmine.sh start",
        instance_dir / "server.log",
    )
    env = _read_env(instance_dir / "env")
    summary_file = instance_dir / "seed-summary.json"
    if restored:
        summary = json.loads(summary_file.read_text())
        summary["base_url"] = env["REDMINE_BASE_URL"]
        summary["from_snapshot"] = str(snapshot)
    else:
        summary = _seed(instance_dir / "env", summary_file, instance_dir)
        _save_snapshot(instance_dir, snapshot)
    return RedmineInstance(env["REDMINE_BASE_URL"], env["REDMINE_API_KEY"], summary, instance_dir)


@pytest.fixture(scope="session")
def redmine() -> Iterator[RedmineInstance]:
    """A seeded Redmine: base_url, api_key, summary (seed.py's JSON), dir, client()."""
    url = os.environ.get("RRAG_TEST_REDMINE_URL")
    key_file = os.environ.get("RRAG_TEST_REDMINE_KEY_FILE")
    if url and key_file:
        yield _reuse(url, Path(key_file))
        return
    _run([str(REDMINE_SH), "install"], "redmine.sh install", None)
    # Not under pytest's basetemp: a concurrent pytest run on the same machine
    # prunes old basetemps, and would delete a running instance's files.
    instance_dir = Path(tempfile.mkdtemp(prefix="rrag-test-redmine-"))
    try:
        yield _start_seeded(instance_dir)
    finally:
        subprocess.run(
            [str(REDMINE_SH), "stop", str(instance_dir)], check=False, capture_output=True
        )
        if os.environ.get("RRAG_TEST_REDMINE_KEEP") != "1":
            shutil.rmtree(instance_dir, ignore_errors=True)
