"""Soak: repeated incremental syncs against the real Redmine, with injected changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from rrag.cli.main import main
from rrag.ops.soak import SoakConfig, verdict
from rrag.settings import Settings, get_settings
from tests.ops.pairs import ENV, make_settings

ROOT = Path(__file__).resolve().parents[2]


def _soak_project(redmine: Any) -> int:
    """A project of our own, so the shared seeded data keeps its promised counts."""
    ident = f"soak-{uuid.uuid4().hex[:8]}"
    body = {
        "project": {
            "name": ident,
            "identifier": ident,
            "is_public": True,
            "enabled_module_names": ["issue_tracking"],
        }
    }
    with redmine.client() as http:
        project = http.post("/projects.json", json=body).raise_for_status().json()["project"]
        for n in range(3):
            issue = {"project_id": project["id"], "subject": f"soak seed {n}"}
            http.post("/issues.json", json={"issue": issue}).raise_for_status()
    return int(project["id"])


def _env(settings: Settings, redmine: Any) -> dict[str, str]:
    return {
        **ENV,
        "RRAG_DATA_DIR": str(settings.store.data_dir),
        "REDMINE_BASE_URL": redmine.base_url,
        "REDMINE_API_KEY": redmine.api_key,
    }


@pytest.mark.redmine
@pytest.mark.slow
def test_soak_with_injected_changes_passes_and_reports_every_iteration(
    redmine: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    project_id = _soak_project(redmine)
    settings = make_settings(tmp_path / "data")
    for key, value in _env(settings, redmine).items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    report_path = tmp_path / "soak.json"
    try:
        code = main(
            [
                "ops",
                "soak",
                "--iterations",
                "4",
                "--project-id",
                str(project_id),
                "--inject-changes",
                "3",
                "--report",
                str(report_path),
            ]
        )
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert code == 0, out
    assert "verdict: PASS" in out and out.count(" finished ") == 4
    report = json.loads(report_path.read_text())
    rows = report["iterations"]
    assert [r["iteration"] for r in rows] == [1, 2, 3, 4]
    assert report["injected"] == {"create": 3, "update": 3, "note": 3}
    assert rows[0]["issues"] == 3 and rows[-1]["issues"] == 3 + 3
    assert all(r["counters"]["issues_changed"] >= 1 for r in rows[1:])
    assert all(r["rss_bytes"] > 0 and r["db_bytes"] > 0 and r["index_bytes"] > 0 for r in rows)
    assert report["consistency"]["ok"] and report["verdict"]["passed"]


@pytest.mark.redmine
@pytest.mark.slow
def test_soak_script_exact_form(redmine: Any, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    run = subprocess.run(
        [sys.executable, "scripts/ops/soak_sync.py", "--iterations", "3", "--project-id", "1"],
        cwd=ROOT,
        env={**os.environ, **_env(settings, redmine)},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr[-2000:]
    assert run.stdout.count(" finished ") == 3 and "verdict: PASS" in run.stdout


def test_soak_against_an_unreachable_redmine_fails_with_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    settings = make_settings(tmp_path / "data")
    env = {
        **ENV,
        "RRAG_DATA_DIR": str(settings.store.data_dir),
        "REDMINE_BASE_URL": "http://127.0.0.1:9",
        "REDMINE_MAX_RETRIES": "0",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    try:
        code = main(["ops", "soak", "--iterations", "2", "--json"])
    finally:
        get_settings.cache_clear()
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and not report["verdict"]["passed"]
    assert "iterations [1, 2] failed" in report["verdict"]["reasons"][0]
    assert all(r["status"] == "failed" for r in report["iterations"])


def _row(n: int, rss: int, issues: int = 10, db: int = 1 << 20) -> dict[str, Any]:
    return {
        "iteration": n,
        "status": "finished",
        "errors": 0,
        "rss_bytes": rss,
        "db_bytes": db,
        "index_bytes": 0,
        "issues": issues,
    }


def test_verdict_flags_rss_growth_unexplained_storage_and_issue_drift() -> None:
    ok = {"ok": True, "problems": []}
    config = SoakConfig(iterations=4, warmup=1)
    rows = [_row(1, 100), _row(2, 105), _row(3, 109), _row(4, 110)]
    assert verdict(rows, config, 0, 0, ok)["passed"]
    grown = [*rows[:3], _row(4, 111)]
    assert "RSS rose" in verdict(grown, config, 0, 0, ok)["reasons"][0]
    fat = [*rows[:3], _row(4, 100, db=(1 << 20) + (3 << 20))]
    assert "storage grew" in verdict(fat, config, 0, 0, ok)["reasons"][0]
    assert verdict(fat, config, 0, 4, ok)["passed"]  # four changes explain 1 MiB more
    drift = [*rows[:3], _row(4, 100, issues=12)]
    assert "issues went from 10 to 12" in verdict(drift, config, 1, 1, ok)["reasons"][0]
    bad = {"ok": False, "problems": ["index generation 3 != store generation 4"]}
    assert "disagree" in verdict(rows, config, 0, 0, bad)["reasons"][0]
