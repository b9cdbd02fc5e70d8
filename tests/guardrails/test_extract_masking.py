"""Extraction never sends a secret to the model, so no extracted field can carry one."""

from __future__ import annotations

import json
from pathlib import Path

from rrag.extract import run_new_extract_job
from rrag.store.db import Store
from tests.extract.conftest import extract_settings
from tests.extract.test_runs import stored
from tests.index import seed
from tests.llm.ollama_standin import OllamaStandIn

AWS = "AKIA" + "Q3ZC7RL2M9XW4BTE"


def test_the_extraction_prompt_and_fields_hold_no_secret(
    tmp_path: Path, store: Store, standin: OllamaStandIn
) -> None:
    seed.project(store, 1)
    seed.issue(
        store,
        7,
        "Importer crash 7",
        f"The importer stops with ERR_IMPORT_7 on blank lines (case 7). Key {AWS}\u200b in use.",
        notes=[{"id": 1007, "notes": "Fixed by skipping blank lines."}],
    )
    job = run_new_extract_job(store, extract_settings(tmp_path, standin.base_url), None)
    assert job.status == "finished", job
    sent = json.dumps(standin.received)
    assert AWS not in sent and "\\u200b" not in sent and "[masked:aws_access_key]" in sent
    assert AWS not in json.dumps(stored(store))
