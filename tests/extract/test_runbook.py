"""The incident-response runbook's degraded-``llm_runtime`` branch (papermill): after an
outage failed an extract job mid-run, re-running extraction resumes it, and the summary
shows what was resumed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from rrag.extract import run_new_extract_job
from rrag.ops.demo import seed_demo
from rrag.ops.runbook import runbook_settings, with_llm
from rrag.store.db import open_store
from tests.extract.conftest import fields, issue_of
from tests.llm.ollama_standin import OllamaStandIn
from tests.notebooks.helpers import run_runbook

_SUBJECT = re.compile(r"<issue>\n#\d+ (.*)\n")


def echo_subject(request: dict[str, Any]) -> str:
    """An extractor that summarises each issue by its own subject (always grounded)."""
    subject = _SUBJECT.search(request["messages"][-1]["content"])
    assert subject
    return json.dumps(fields(summary=subject.group(1)))


def test_the_runbook_re_runs_extraction_after_an_outage_and_resumes(
    tmp_path: Path, standin: OllamaStandIn
) -> None:
    data = str(tmp_path / "data")
    settings = runbook_settings(data)
    seed_demo(settings, 30)
    settings = with_llm(settings, "ollama", standin.base_url, "llama3.1:8b")
    settings = settings.model_copy(
        update={"llm": settings.llm.model_copy(update={"extract_batch_size": 5})}
    )
    calls = {"n": 0}

    def outage_after_twelve(request: dict[str, Any]) -> str:
        calls["n"] += 1
        if calls["n"] == 12:
            standin.drop = 10**6  # the runtime goes away mid-batch
        return echo_subject(request)

    standin.reply = outage_after_twelve
    store = open_store(Path(data))
    try:
        failed = run_new_extract_job(store, settings, None)
    finally:
        store.close()
    assert failed.status == "failed" and failed.error.type == "llm_unavailable"
    committed = failed.counters["extracted"]
    assert committed == 10  # two batches of five; the third was in flight

    standin.drop, before = 0, len(standin.received)  # llm_runtime is healthy again
    dry = run_runbook(
        "incident_response", tmp_path, data_dir=data, llm_provider="ollama",
        llm_base_url=standin.base_url, reextract=True,
    )  # fmt: skip
    assert dry["stalled_extractions"] == 1 and dry["resumed"] is None  # a dry run: nothing
    assert len(standin.received) == before
    summary = run_runbook(
        "incident_response", tmp_path, data_dir=data, llm_provider="ollama",
        llm_base_url=standin.base_url, reextract=True, resync=False, dry_run=False,
    )  # fmt: skip
    resumed = summary["resumed"]
    assert resumed["unchanged"] == committed and resumed["extracted"] == 30 - committed
    asked = [issue_of(r) for r in standin.received[before:]]
    assert len(asked) == len(set(asked)) == 30 - committed  # nothing committed asked again
