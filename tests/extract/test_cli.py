"""``rrag extract`` end to end: settings from the environment, the stand-in over HTTP,
the job printed with its counters, extractions indexed and found by ``rrag search``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rrag.cli.main import main
from rrag.settings import get_settings
from rrag.store.db import Store
from tests.extract.conftest import seed_issues
from tests.llm.ollama_standin import OllamaStandIn


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, standin: OllamaStandIn) -> Iterator[None]:
    for name, value in {
        "RRAG_DATA_DIR": str(tmp_path),
        "EMBEDDING_PROVIDER": "hashing",
        "LLM_PROVIDER": "ollama",
        "OLLAMA_BASE_URL": standin.base_url,
        "OLLAMA_MODEL": "llama3.1:8b",
        "LLM_EXTRACT_BATCH_SIZE": "2",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(capsys: Any, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_rrag_extract_json_prints_the_job_with_its_counters(
    store: Store, env: None, capsys: Any
) -> None:
    seed_issues(store, range(1, 4))
    code, out, err = run(capsys, "extract", "--json")
    job = json.loads(out)
    assert code == 0 and job["kind"] == "extract" and job["status"] == "finished", err
    assert {k: job["counters"][k] for k in ("extracted", "unchanged", "failed")} == {
        "extracted": 3,
        "unchanged": 0,
        "failed": 0,
    }
    code, out, _ = run(capsys, "extract", "--json", "--project-id", "1")
    assert json.loads(out)["counters"]["unchanged"] == 3 and code == 0
    code, out, _ = run(capsys, "extract", "--force")
    assert code == 0 and "kind=extract" in out and "extracted=3" in out
    code, out, _ = run(capsys, "jobs")
    assert code == 0 and out.count(" extract ") == 3


def test_rrag_extract_logs_carry_extractor_version_and_job_fields(
    store: Store, env: None, capsys: Any
) -> None:
    seed_issues(store, range(1, 3))
    _code, _out, err = run(capsys, "extract", "--project-id", "1")
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    mine = [line for line in lines if line["logger"].startswith("rrag.extract")]
    assert {line["event"] for line in mine} >= {"extract_started", "extract_finished"}
    for line in mine:  # every extraction line: extractor_version; job lines: job and projects
        assert line["extractor_version"] == "1", line
        assert line["job_id"] and line["project_ids"] == [1], line


def test_extracted_fields_are_indexed_and_searchable_with_their_issue(
    store: Store, env: None, capsys: Any
) -> None:
    seed_issues(store, range(1, 3))
    assert run(capsys, "extract")[0] == 0
    # "skipping" occurs in a note; the extraction's resolution says it too, so search a word
    # only the extraction has: its summary's "crashes"
    code, out, err = run(capsys, "search", "importer crashes", "--json", "--all")
    results = json.loads(out)["results"]
    assert code == 0, err
    kinds = {c["kind"] for r in results for c in r["chunks"]}
    assert "extract" in kinds, results
    assert all(r["issue_id"] in {1, 2} for r in results)


def test_without_an_llm_rrag_extract_is_a_one_line_configuration_error(
    store: Store, env: None, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "none")
    get_settings.cache_clear()
    code, out, err = run(capsys, "extract")
    assert code == 2 and out == ""
    assert err.strip().splitlines()[-1].startswith("rrag: error: extraction needs an LLM")


def test_an_llm_outage_fails_the_job_with_exit_1_and_its_error(
    store: Store, env: None, capsys: Any, standin: OllamaStandIn
) -> None:
    seed_issues(store, range(1, 3))
    standin.chat_status = 503
    code, out, _ = run(capsys, "extract", "--json")
    job = json.loads(out)
    assert code == 1 and job["status"] == "failed" and job["error"]["type"] == "llm_unavailable"
    assert job["counters"]["extracted"] == 0
