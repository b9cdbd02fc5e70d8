"""Each runbook executed by papermill with temp-dir parameters, asserting on what it recorded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rrag.ops import backup
from rrag.ops.demo import seed_demo
from rrag.ops.runbook import runbook_settings
from rrag.store.db import open_store
from rrag.sync import jobs
from tests.notebooks.helpers import ROOT, run_runbook
from tests.ops.pairs import tree_state


def _demo(path: Path, issues: int = 40) -> str:
    seed_demo(runbook_settings(str(path)), issues)
    return str(path)


def test_backup_runbook_records_a_verified_snapshot(tmp_path: Path) -> None:
    data = _demo(tmp_path / "data")
    summary = run_runbook("backup", tmp_path, data_dir=data, output_dir=str(tmp_path / "b"))
    assert Path(summary["snapshot"]).parent == tmp_path / "b"
    assert summary["row_counts"]["issues"] == 40 and summary["snapshots"] == 1
    assert summary["index_generation"] == "1" and summary["bytes"] > 0


def test_restore_runbook_dry_run_changes_nothing(tmp_path: Path) -> None:
    data = _demo(tmp_path / "data")
    source = backup(runbook_settings(_demo(tmp_path / "other", 25)), tmp_path / "src")["path"]
    before = tree_state(Path(data))
    summary = run_runbook(
        "restore", tmp_path, data_dir=data, source_dir=source, backups_dir=str(tmp_path / "b")
    )
    assert summary["dry_run"] and summary["restored_generation"] is None
    assert any(p.endswith("rrag.db") for p in summary["would_overwrite"])
    assert tree_state(Path(data)) == before and not (tmp_path / "b").exists()


def test_restore_runbook_restores_and_keeps_a_safety_backup(tmp_path: Path) -> None:
    data = _demo(tmp_path / "data")
    source = backup(runbook_settings(_demo(tmp_path / "other", 25)), tmp_path / "src")["path"]
    summary = run_runbook(
        "restore",
        tmp_path,
        data_dir=data,
        source_dir=source,
        backups_dir=str(tmp_path / "b"),
        dry_run=False,
    )
    assert summary["restored_generation"] == "1" and summary["issues_after"] == 50  # 25 x 2
    safety = Path(summary["safety_backup"])
    assert json.loads((safety / "manifest.json").read_text())["row_counts"]["issues"] == 40
    rolled = run_runbook(
        "restore",
        tmp_path,
        data_dir=data,
        source_dir=source,
        backups_dir=str(tmp_path / "b2"),
        dry_run=False,
        rollback=True,
    )
    assert rolled["rolled_back"] and rolled["issues_after"] == 50


def test_maintenance_runbook_empties_the_wal(tmp_path: Path) -> None:
    data = _demo(tmp_path / "data")
    summary = run_runbook("maintenance", tmp_path, data_dir=data, dry_run=False)
    assert summary["after"]["rrag.db-wal"] == 0 and summary["consistent"]
    assert set(summary["steps"]) >= {"vacuum", "analyze", "wal_checkpoint"}


def test_health_runbook_offline(tmp_path: Path) -> None:
    summary = run_runbook("health_check", tmp_path, data_dir=_demo(tmp_path / "data"))
    assert summary["ok"] and summary["consistent"] and summary["redmine"] is None


def test_incident_runbook_finds_and_explains_the_failed_job(tmp_path: Path) -> None:
    data = _demo(tmp_path / "data")
    store = open_store(Path(data))
    job = jobs.create_job(store, "incremental", [2])
    jobs.mark_running(store, job.id)
    jobs.mark_done(
        store, job.id, "failed", jobs.Counters(errors=1), error=PermissionError("redmine said 403")
    )
    store.close()
    summary = run_runbook("incident_response", tmp_path, data_dir=data)
    assert summary["failed_jobs"] == 1 and summary["inspected"] == job.id
    assert summary["error"]["message"] == "redmine said 403"
    assert summary["project_ids"] == [2] and summary["retry_status"] is None


def test_soak_runbook_offline_plots_the_saved_report(tmp_path: Path) -> None:
    summary = run_runbook("soak_test", tmp_path)
    saved = json.loads((ROOT / "runbooks" / "soak-example.json").read_text())
    assert summary["live"] is False and summary["iterations"] == len(saved["iterations"])
    assert summary["passed"] == saved["verdict"]["passed"]


def test_runtime_tuning_runbook_measures_both_profiles(tmp_path: Path) -> None:
    summary = run_runbook("runtime_tuning", tmp_path, demo_issues=60, repeats=2)
    assert set(summary["profiles"]) == {"laptop", "server"} and summary["demo"]
    assert all(p["p50_ms"] > 0 for p in summary["profiles"].values())


def test_guardrail_review_runbook_shows_recorded_events(tmp_path: Path) -> None:
    from rrag.guardrails import record_event

    data = _demo(tmp_path / "data")
    store = open_store(Path(data))
    record_event(store, "prompt_injection", "issue:7", {"pattern": "override"})
    for rule in ("override", "exfiltration", "role_change"):  # a battery pasted at once
        record_event(store, "prompt_injection", "issue:8#change-1", {"pattern": rule})
    record_event(store, "unsafe_content", "issue:9", {"rule": "secret:aws_access_key"})
    store.close()
    summary = run_runbook("guardrail_review", tmp_path, data_dir=data)
    assert summary["counters"]["prompt_injection"] == 4
    assert summary["recent"] == 5 and summary["kinds_recent"] == [
        "prompt_injection",
        "unsafe_content",
    ]
    assert summary["verdicts"] == {"issue:7": "attack", "issue:8": "red-team", "issue:9": "attack"}
    assert summary["reasons"]["issue:8"] == ["burst"]
    assert summary["missed"] == [] and summary["false_alarms"] == []
    project = _project_of(Path(data), 9)
    named = run_runbook("guardrail_review", tmp_path, data_dir=data, test_projects=[project])
    assert named["verdicts"]["issue:9"] == "red-team" and named["reasons"]["issue:9"] == [
        "test_project"
    ]


def _project_of(data: Path, issue_id: int) -> str:
    store = open_store(data)
    try:
        with store.engine.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT p.identifier FROM issues i JOIN projects p ON p.id = i.project_id "
                "WHERE i.id = ?",
                (issue_id,),
            ).one()
    finally:
        store.close()
    return str(row[0])


@pytest.mark.redmine
@pytest.mark.slow
def test_live_runbooks_against_the_real_redmine(redmine: Any, tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(redmine.api_key)
    data = str(tmp_path / "data")
    common = {"data_dir": data, "redmine_base_url": redmine.base_url, "api_key_file": str(key_file)}
    soak = run_runbook(
        "soak_test",
        tmp_path,
        **common,
        project_ids=[4],
        iterations=2,
        report_file=str(tmp_path / "soak.json"),
    )
    assert soak["live"] and soak["passed"] and soak["iterations"] == 2
    assert json.loads((tmp_path / "soak.json").read_text())["verdict"]["passed"]
    health = run_runbook("health_check", tmp_path, **common)
    assert health["redmine"] == {"policy_ok": True, "reachable": True, "authenticated": True}
    incident = run_runbook(
        "incident_response", tmp_path, **common, retry_project_ids=[4], dry_run=False
    )
    assert incident["retry_status"] == "finished" and incident["link_ok"]
