"""The CLI forms of the runbook, exactly as written: backup, restore, verify, maintenance."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from rrag.cli.main import main
from rrag.settings import Settings, get_settings
from tests.ops.pairs import ENV, pair_state, tree_state


def _cli(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
    *argv: str,
    env: dict[str, str] | None = None,
) -> tuple[int, str, str]:
    monkeypatch.setenv("RRAG_DATA_DIR", str(settings.store.data_dir))
    for key, value in {**ENV, **(env or {})}.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    try:
        code = main(list(argv))
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr()
    return code, out.out, out.err


def test_exact_forms_backup_then_restore_as_subprocesses(live: Settings, tmp_path: Path) -> None:
    env = {**os.environ, **ENV, "RRAG_DATA_DIR": str(live.store.data_dir)}
    run = subprocess.run(
        [sys.executable, "-m", "rrag.cli", "ops", "backup", "--output-dir", "backups"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    snapshot = Path(run.stdout.strip())
    assert snapshot.parent == Path("backups") and (tmp_path / snapshot / "manifest.json").exists()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "rrag.cli",
            "ops",
            "restore",
            "--source-dir",
            str(snapshot),
            "--force",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "restored" in run.stdout and pair_state(live.store.data_dir)["matching"]


def test_backup_json_and_verify(
    live: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    code, out, _ = _cli(
        live, monkeypatch, capsys, "ops", "backup", "--output-dir", str(tmp_path / "b"), "--json"
    )
    assert code == 0
    payload = json.loads(out)
    assert payload["manifest"]["row_counts"]["issues"] == 30
    code, out, _ = _cli(live, monkeypatch, capsys, "ops", "verify", "--source-dir", payload["path"])
    assert code == 0 and out.startswith("ok: ")


def test_restore_without_force_exits_2_and_changes_nothing(
    live: Settings, new_snapshot: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    before = tree_state(live.store.data_dir)
    code, out, err = _cli(
        live, monkeypatch, capsys, "ops", "restore", "--source-dir", new_snapshot["path"]
    )
    assert code == 2 and out == ""
    assert err.startswith("rrag: error: restore would overwrite ") and "--force" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert tree_state(live.store.data_dir) == before


def test_restore_of_a_damaged_snapshot_is_one_line_exit_1(
    live: Settings, new_snapshot: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    (Path(new_snapshot["path"]) / "chunks.index").unlink()
    code, _, err = _cli(
        live, monkeypatch, capsys, "ops", "restore", "--source-dir", new_snapshot["path"], "--force"
    )
    assert code == 1 and "chunks.index is missing" in err
    assert len(err.strip().splitlines()) == 1


def test_missing_output_dir_argument_is_a_usage_error(capsys: Any) -> None:
    with pytest.raises(SystemExit) as info:
        main(["ops", "backup"])
    assert info.value.code == 2 and "--output-dir" in capsys.readouterr().err


def test_maintenance_and_health_print_and_exit_0(
    live: Settings, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    code, out, _ = _cli(live, monkeypatch, capsys, "ops", "maintenance")
    assert code == 0
    assert "rrag.db" in out and "vacuum" in out and "consistency: ok" in out
    code, out, _ = _cli(live, monkeypatch, capsys, "ops", "health", "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] and report["consistency"]["ok"]


@pytest.mark.parametrize(
    "env, configured",
    [
        ({"EMBEDDING_DIM": "64"}, "hashing hashing-v1 (dim 64)"),
        (
            {"EMBEDDING_PROVIDER": "ollama", "EMBEDDING_MODEL": "nomic-embed-text"},
            "ollama nomic-embed-text",
        ),
    ],
    ids=["other-dim", "other-provider"],
)
def test_restore_of_another_embedders_snapshot_is_refused_naming_both(
    live: Settings,
    new_snapshot: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
    env: dict[str, str],
    configured: str,
) -> None:
    before = tree_state(live.store.data_dir)
    source = new_snapshot["path"]
    code, out, err = _cli(
        live, monkeypatch, capsys, "ops", "restore", "--source-dir", source, "--force", env=env
    )
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert err.startswith("rrag: error: the snapshot's vector index was built with hashing ")
    assert "hashing-v1 (dim 32)" in err and f"embeds with {configured}," in err
    assert "--allow-embedder-change" in err and "`rrag index --rebuild`" in err
    assert tree_state(live.store.data_dir) == before


def test_allowed_embedder_change_restores_then_says_the_rebuild_that_fixes_search(
    live: Settings, new_snapshot: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    wider = {"EMBEDDING_DIM": "64"}
    argv = ("ops", "restore", "--source-dir", new_snapshot["path"], "--force")
    code, out, _ = _cli(live, monkeypatch, capsys, *argv, "--allow-embedder-change", env=wider)
    assert code == 0 and pair_state(live.store.data_dir)["issues"] == 45  # the whole pair
    [done, notice] = out.strip().splitlines()
    assert done.startswith("restored ")
    assert notice.startswith("next: the restored vector index was built with hashing")
    assert "(dim 32)" in notice and "(dim 64)" in notice and "`rrag index --rebuild`" in notice
    search = ("search", "disk", "--mode", "vector", "--all", "--json")
    code, _, err = _cli(live, monkeypatch, capsys, *search, env=wider)
    assert code == 1 and "rrag index --rebuild" in err  # what the notice warned about
    code, _, _ = _cli(live, monkeypatch, capsys, "index", "--rebuild", env=wider)
    assert code == 0
    code, out, _ = _cli(live, monkeypatch, capsys, *search, env=wider)
    assert code == 0 and json.loads(out)["results"]  # the step named was the whole fix


def test_restore_json_reports_the_embedder_change_or_none(
    live: Settings, new_snapshot: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    argv = ("ops", "restore", "--source-dir", new_snapshot["path"], "--force", "--json")
    code, out, _ = _cli(live, monkeypatch, capsys, *argv)
    assert code == 0 and json.loads(out)["embedder_change"] is None
    code, out, _ = _cli(
        live, monkeypatch, capsys, *argv, "--allow-embedder-change", env={"EMBEDDING_DIM": "64"}
    )
    change = json.loads(out)["embedder_change"]
    assert code == 0 and change["next_step"] == "rrag index --rebuild"
    assert (change["snapshot"]["dim"], change["configured"]["dim"]) == (32, 64)


def test_backup_into_a_path_that_is_a_file_is_one_line_exit_2(
    live: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    (tmp_path / "taken").write_text("not a directory")
    argv = ("ops", "backup", "--output-dir", str(tmp_path / "taken"))
    code, out, err = _cli(live, monkeypatch, capsys, *argv)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert "cannot put snapshots in" in err and "not a directory" in err
