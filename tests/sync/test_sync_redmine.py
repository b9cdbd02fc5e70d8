"""Sync against the real Redmine (Debian's 5.0 package on loopback, seeded)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rrag.settings import RedmineSettings, Settings, StoreSettings
from rrag.store.db import Store, open_store
from rrag.sync import create_job, run_job
from rrag.sync.job_record import Job

pytestmark = pytest.mark.redmine
DATA_TABLES = [
    "projects",
    "issues",
    "journals",
    "wiki_pages",
    "attachments",
    "relations",
    "sync_cursors",
    "index_queue",
    "users",
    "trackers",
    "statuses",
]


@pytest.fixture
def client(redmine: Any) -> Iterator[httpx.Client]:
    with redmine.client() as http:
        yield http


def _settings(redmine: Any, data_dir: Path, **store: Any) -> Settings:
    return Settings(
        redmine=RedmineSettings(base_url=redmine.base_url, api_key=redmine.api_key),
        store=StoreSettings(data_dir=data_dir, **store),
    )


def _sync(
    settings: Settings, mode: str = "incremental", project_ids: list[int] | None = None
) -> Job:
    store = open_store(settings.store.data_dir)
    try:
        job = create_job(store, mode, project_ids)
        result = run_job(store, settings, job.id)
    finally:
        store.close()
    assert result.status == "finished", result
    return result


def _cli(redmine: Any, data_dir: Path, *args: str) -> dict[str, Any]:
    env = {
        **os.environ,
        "REDMINE_BASE_URL": redmine.base_url,
        "REDMINE_API_KEY": redmine.api_key,
        "RRAG_DATA_DIR": str(data_dir),
        "EMBEDDING_PROVIDER": "hashing",
    }
    out = subprocess.run(
        [sys.executable, "-m", "rrag.cli", "sync", "--json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert redmine.api_key not in out.stdout + out.stderr
    return json.loads(out.stdout)


def _query(store: Store, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql, params).fetchall()]


def _digest(data_dir: Path) -> str:
    store = open_store(data_dir)
    try:
        blob = json.dumps(
            {t: _query(store, f"SELECT * FROM {t} ORDER BY 1") for t in DATA_TABLES}, default=str
        )
    finally:
        store.close()
    return hashlib.sha256(blob.encode()).hexdigest()


def _projects(client: httpx.Client) -> list[dict[str, Any]]:
    return client.get("/projects.json", params={"limit": 100}).json()["projects"]


def _total(client: httpx.Client, project_id: int) -> int:
    params = {"project_id": project_id, "subproject_id": "!*", "status_id": "*", "limit": 1}
    return int(client.get("/issues.json", params=params).json()["total_count"])


def _public_project(client: httpx.Client) -> dict[str, Any]:
    return next(p for p in _projects(client) if p.get("is_public", True) and "parent" not in p)


def _new_issue(client: httpx.Client, project_id: int, subject: str) -> int:
    body = {"issue": {"project_id": project_id, "subject": subject, "description": subject}}
    response = client.post("/issues.json", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["issue"]["id"])


def _put(client: httpx.Client, path: str, body: dict[str, Any]) -> None:
    response = client.put(path, json=body)
    assert response.status_code in (200, 204), (path, response.status_code, response.text)


def test_full_sync_matches_redmine_counts(
    redmine: Any, tmp_path: Path, client: httpx.Client
) -> None:
    data = tmp_path / "data"
    job = _cli(redmine, data, "--full")
    assert job["status"] == "finished" and job["mode"] == "full"
    store = open_store(data)
    projects = _projects(client)
    assert len(projects) >= 3
    for project in projects:
        stored = _query(store, "SELECT COUNT(*) FROM issues WHERE project_id=?", project["id"])
        assert stored[0][0] == _total(client, project["id"]), project["identifier"]
    private_project = [p for p in _query(store, "SELECT id FROM projects WHERE is_public=0")]
    assert private_project, "the seeded private project is stored with its flag"
    assert _query(store, "SELECT COUNT(*) FROM issues WHERE is_private=1")[0][0] >= 1
    assert _query(store, "SELECT COUNT(*) FROM journals WHERE private_notes=1")[0][0] == 0
    assert _query(store, "SELECT COUNT(*) FROM journals WHERE notes != ''")[0][0] > 0
    assert _query(store, "SELECT COUNT(*) FROM wiki_pages WHERE parent_title IS NOT NULL")[0][0]
    assert _query(store, "SELECT COUNT(*) FROM relations WHERE relation_type='duplicates'")[0][0]
    assert _query(store, "SELECT COUNT(*) FROM attachments")[0][0] >= 1
    changes = " ".join(r[0] for r in _query(store, "SELECT changes FROM journals"))
    assert "attr.description changed" in changes  # summarised, never the old/new text
    assert job["counters"]["issues_seen"] == sum(_total(client, p["id"]) for p in projects)
    store.close()


def test_private_notes_are_stored_only_when_enabled(redmine: Any, tmp_path: Path) -> None:
    settings = _settings(redmine, tmp_path / "data", index_private=True)
    _sync(settings, "full")
    store = open_store(settings.store.data_dir)
    assert _query(store, "SELECT COUNT(*) FROM journals WHERE private_notes=1")[0][0] >= 1
    store.close()


def test_incremental_picks_up_exactly_the_changes(
    redmine: Any, tmp_path: Path, client: httpx.Client
) -> None:
    project = _public_project(client)
    settings = _settings(redmine, tmp_path / "data")
    _sync(settings, "full")
    ids = [
        i["id"]
        for i in client.get(
            "/issues.json",
            params={
                "project_id": project["id"],
                "subproject_id": "!*",
                "status_id": "o",
                "limit": 3,
            },
        ).json()["issues"]
    ]
    updated, closed, noted = ids
    tag = uuid.uuid4().hex[:8]
    created = _new_issue(client, project["id"], f"Created {tag}")
    _put(client, f"/issues/{updated}.json", {"issue": {"subject": f"Updated {tag}"}})
    closed_status = next(
        s["id"]
        for s in client.get("/issue_statuses.json").json()["issue_statuses"]
        if s.get("is_closed")
    )
    _put(client, f"/issues/{closed}.json", {"issue": {"status_id": closed_status}})
    _put(client, f"/issues/{noted}.json", {"issue": {"notes": f"Note {tag}"}})
    wiki = client.get(f"/projects/{project['id']}/wiki/index.json").json()["wiki_pages"][0]
    _put(
        client,
        f"/projects/{project['id']}/wiki/{wiki['title']}.json",
        {"wiki_page": {"text": f"h1. Edited {tag}"}},
    )

    job = _sync(settings)
    assert job.counters["issues_changed"] == 4
    assert job.counters["wiki_pages"] == 1
    store = open_store(settings.store.data_dir)
    assert _query(store, "SELECT subject FROM issues WHERE id=?", created) == [(f"Created {tag}",)]
    assert _query(store, "SELECT subject FROM issues WHERE id=?", updated) == [(f"Updated {tag}",)]
    assert _query(store, "SELECT is_closed FROM issues WHERE id=?", closed) == [(1,)]
    assert (f"Note {tag}",) in _query(store, "SELECT notes FROM journals WHERE issue_id=?", noted)
    assert _query(store, "SELECT text FROM wiki_pages WHERE title=?", wiki["title"]) == [
        (f"h1. Edited {tag}",)
    ]
    queued = {
        r[0] for r in _query(store, "SELECT source_id FROM index_queue WHERE source_kind='issue'")
    }
    assert {created, updated, closed, noted} <= queued
    store.close()


def test_second_sync_without_changes_writes_nothing(redmine: Any, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _cli(redmine, data)
    before = _digest(data)
    job = _cli(redmine, data)
    assert job["counters"]["issues_changed"] == 0
    assert job["counters"]["journals"] == 0 and job["counters"]["wiki_pages"] == 0
    assert job["counters"]["issues_seen"] > 0  # the overlap window was re-read
    assert _digest(data) == before


def test_edited_note_is_picked_up_by_the_next_full_pass(
    redmine: Any, tmp_path: Path, client: httpx.Client
) -> None:
    project = _public_project(client)
    issue_id = _new_issue(client, project["id"], "Note edit target")
    _put(client, f"/issues/{issue_id}.json", {"issue": {"notes": "original note"}})
    settings = _settings(redmine, tmp_path / "data")
    _sync(settings)
    journal_id = client.get(f"/issues/{issue_id}.json", params={"include": "journals"}).json()[
        "issue"
    ]["journals"][-1]["id"]
    _put(client, f"/journals/{journal_id}.json", {"journal": {"notes": "edited note"}})
    store = open_store(settings.store.data_dir)
    note = "SELECT notes FROM journals WHERE id=?"
    _sync(settings)  # Redmine does not bump updated_on for a note edit: not seen
    assert _query(store, note, journal_id) == [("original note",)]
    job = _sync(settings, "full")
    assert _query(store, note, journal_id) == [("edited note",)]
    assert job.counters["issues_changed"] == 1
    store.close()


def test_deleted_issue_disappears_after_the_next_full_sync(
    redmine: Any, tmp_path: Path, client: httpx.Client
) -> None:
    project = _public_project(client)
    issue_id = _new_issue(client, project["id"], "Doomed issue")
    settings = _settings(redmine, tmp_path / "data")
    _sync(settings)
    store = open_store(settings.store.data_dir)
    assert _query(store, "SELECT COUNT(*) FROM issues WHERE id=?", issue_id) == [(1,)]
    assert client.delete(f"/issues/{issue_id}.json").status_code in (200, 204)
    job = _sync(settings, "full")
    assert job.counters["issues_deleted"] == 1
    assert _query(store, "SELECT COUNT(*) FROM issues WHERE id=?", issue_id) == [(0,)]
    assert _query(
        store, "SELECT op FROM index_queue WHERE source_kind='issue' AND source_id=?", issue_id
    ) == [("delete",)]
    store.close()


def test_scoped_sync_touches_only_that_project(
    redmine: Any, tmp_path: Path, client: httpx.Client
) -> None:
    project = _public_project(client)
    data = tmp_path / "data"
    job = _cli(redmine, data, "--project-id", str(project["id"]))
    assert job["project_ids"] == [project["id"]]
    store = open_store(data)
    assert {r[0] for r in _query(store, "SELECT DISTINCT project_id FROM issues")} == {
        project["id"]
    }
    assert {r[0] for r in _query(store, "SELECT project_id FROM sync_cursors")} == {project["id"]}
    assert {r[0] for r in _query(store, "SELECT DISTINCT project_id FROM wiki_pages")} <= {
        project["id"]
    }
    store.close()


def test_unknown_project_is_a_clear_error(redmine: Any, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "REDMINE_BASE_URL": redmine.base_url,
        "REDMINE_API_KEY": redmine.api_key,
        "RRAG_DATA_DIR": str(tmp_path / "d"),
    }
    out = subprocess.run(
        [sys.executable, "-m", "rrag.cli", "sync", "--project-id", "99999"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1
    assert "99999" in out.stdout and "not visible" in out.stdout
    assert "Traceback" not in out.stderr


def test_sync_on_a_terminal_draws_a_progress_bar(
    redmine: Any, tmp_path: Path, client: httpx.Client
) -> None:
    import fcntl
    import pty
    import struct
    import termios

    project = _public_project(client)
    env = {
        **os.environ,
        "REDMINE_BASE_URL": redmine.base_url,
        "REDMINE_API_KEY": redmine.api_key,
        "RRAG_DATA_DIR": str(tmp_path / "data"),
        "EMBEDDING_PROVIDER": "hashing",
        "RRAG_LOG_LEVEL": "WARNING",
    }
    leader, follower = pty.openpty()
    # a fresh pty has a 0x0 window, in which tqdm draws an empty bar: size it like a terminal
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "rrag.cli", "sync", "--project-id", str(project["id"])],
        env=env,
        stdout=subprocess.PIPE,
        stderr=follower,
        text=True,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    stdout = proc.stdout.read() if proc.stdout else ""
    if proc.stdout:
        proc.stdout.close()
    assert proc.wait(timeout=300) == 0
    terminal = b"".join(chunks).decode(errors="replace")
    assert "sync:" in terminal and "%" in terminal  # tqdm's bar
    assert "finished" in stdout
    assert redmine.api_key not in terminal + stdout
