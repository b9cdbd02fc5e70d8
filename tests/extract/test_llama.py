"""One real extraction run: llama.cpp's llama-server serving SmolLM2-135M, through the
``openai`` provider, over a small seeded store. A 135M model extracts poorly; what is
asserted are the guarantees: the run ends, every issue is accounted for, and every
stored record is either schema-valid (and grounded) or failed with its reason."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import text

from rrag.extract import json_schema, run_new_extract_job
from rrag.extract.grounding import missing_tokens
from rrag.extract.prompt import issue_text
from rrag.extract.records import load_issues
from rrag.store.db import open_store
from tests.index import seed
from tests.llm.conftest import settings_for_openai
from tests.llm.llama_server import LlamaServer


@pytest.mark.slow
def test_a_real_extraction_run_stores_only_schema_valid_records(
    tmp_path: Path, llama_server: LlamaServer
) -> None:
    base = settings_for_openai(tmp_path, llama_server.base_url, model=llama_server.model)
    settings = base.model_copy(
        update={"llm": base.llm.model_copy(update={"extract_batch_size": 2})}
    )
    store = open_store(tmp_path)
    try:
        seed.small_corpus(store)
        job = run_new_extract_job(store, settings, None)
        assert job.status == "finished", job
        counters = job.counters
        assert counters["extracted"] + counters["failed"] == counters["issues"] == 5
        with store.engine.connect() as conn:
            rows = conn.execute(text("SELECT * FROM extractions")).mappings().all()
        assert len(rows) == 5
        texts = {
            i.id: issue_text(i, js) for i, js in load_issues(store, [r["issue_id"] for r in rows])
        }
        for row in rows:
            assert row["model"] == f"openai:{llama_server.model}"
            if row["status"] == "failed":
                assert row["reason"] and row["fields"] == "{}", dict(row)
                continue
            fields = json.loads(row["fields"])
            jsonschema.validate(fields, json_schema())
            for signature in fields["error_signatures"]:  # grounded: from the issue itself
                assert " ".join(signature.lower().split()) in " ".join(
                    texts[row["issue_id"]].lower().split()
                )
            assert not missing_tokens(fields["summary"], texts[row["issue_id"]].lower())
    finally:
        store.close()
