"""Bad and invented replies, through the stand-in: violations fail their issue only,
invented identifiers are dropped and counted, and the schema itself holds its bounds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rrag.extract import run_new_extract_job
from rrag.extract.schema import json_schema, parse_fields, problems
from rrag.guardrails.events import count_events
from rrag.llm.reply import Violation
from rrag.store.db import Store
from tests.extract.conftest import extract_settings, fields, grounded_reply, issue_of, seed_issues
from tests.extract.test_runs import stored
from tests.llm.ollama_standin import OllamaStandIn

BAD = {
    2: "this is not JSON at all",
    3: json.dumps(fields(summary="x" * 100, symptoms=["y" * 150] * 8)) + " " * 2_000_000,
    4: json.dumps(fields()),  # schema-valid, every field empty
    5: json.dumps({"summary": "only a summary"}),  # keys missing
    6: json.dumps(fields(summary="ok", symptoms="not a list")),
}


def test_bad_replies_are_schema_violations_that_fail_their_issue_and_the_run_goes_on(
    tmp_path: Path, store: Store, standin: OllamaStandIn
) -> None:
    seed_issues(store, range(1, 8))

    def reply(request: dict[str, Any]) -> str:
        return BAD.get(issue_of(request)) or grounded_reply(request)

    standin.reply = reply
    job = run_new_extract_job(store, extract_settings(tmp_path, standin.base_url), None)
    assert job.status == "finished", job
    counters = job.counters
    assert (counters["extracted"], counters["failed"], counters["schema_violation"]) == (2, 5, 5)
    rows = stored(store)
    assert {i for i, r in rows.items() if r["status"] == "ok"} == {1, 7}
    reasons = {i: rows[i]["reason"] for i in BAD}
    assert "not JSON" in reasons[2] and "exceeds" in reasons[3] and "empty" in reasons[4]
    assert all(r.startswith("schema_violation: ") for r in reasons.values()), reasons
    assert all(rows[i]["fields"] == "{}" for i in BAD)
    assert count_events(store)["schema_violation"] == 5
    # a failed issue is not asked again until its content or the version changes
    before = len(standin.received)
    assert (
        run_new_extract_job(store, extract_settings(tmp_path, standin.base_url), None).counters[
            "unchanged"
        ]
        == 7
    )
    assert len(standin.received) == before


def test_invented_identifiers_and_error_signatures_are_dropped_and_counted(
    tmp_path: Path, store: Store, standin: OllamaStandIn
) -> None:
    seed_issues(store, range(1, 3))

    def inventive(request: dict[str, Any]) -> str:
        n = issue_of(request)
        return json.dumps(
            fields(
                summary=f"The importer crashes on blank lines (case {n}).",
                symptoms=["the importer stops", "ActiveRecord::StatementInvalid is raised"],
                error_signatures=[f"ERR_IMPORT_{n}", "ERR_QUOTA_EXCEEDED"],
                root_cause="A regression in version 5.1.2.",
                resolution="Fixed by skipping blank lines.",
            )
        )

    standin.reply = inventive
    job = run_new_extract_job(store, extract_settings(tmp_path, standin.base_url), None)
    assert job.counters["ungrounded_claim"] == 6 and job.counters["extracted"] == 2
    for issue_id, row in stored(store).items():
        kept = json.loads(row["fields"])
        assert kept["error_signatures"] == [f"ERR_IMPORT_{issue_id}"]
        assert kept["symptoms"] == ["the importer stops"]
        assert kept["root_cause"] == "" and kept["resolution"] == "Fixed by skipping blank lines."
        assert row["ungrounded"] == 3
    assert count_events(store)["ungrounded_claim"] == 6


def test_a_reply_with_nothing_grounded_fails_its_issue(
    tmp_path: Path, store: Store, standin: OllamaStandIn
) -> None:
    seed_issues(store, range(1, 2))
    standin.reply = lambda _r: json.dumps(fields(summary="Upgrade to 9.9.9 fixed it."))
    job = run_new_extract_job(store, extract_settings(tmp_path, standin.base_url), None)
    assert job.counters["failed"] == 1 and job.counters["ungrounded_claim"] == 1
    assert stored(store)[1]["reason"].startswith("ungrounded")


def test_a_private_note_of_a_public_issue_never_reaches_the_model(
    tmp_path: Path, store: Store, standin: OllamaStandIn
) -> None:
    from tests.index import seed

    seed.issue(
        store,
        1,
        "Importer crash 1",
        "ERR_IMPORT_1 (case 1)",
        notes=[{"id": 7, "notes": "zebracorn password", "private_notes": True}],
    )
    run_new_extract_job(store, extract_settings(tmp_path, standin.base_url), None)
    assert "zebracorn" not in json.dumps(standin.received)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("[]", "exactly"),
        ('{"a": ' * 50, "JSON"),
        ("[" * 100_000 + "]" * 100_000, "exceeds"),
        (json.dumps(fields(summary="s", workaround="w" * 601)), "longer than"),
        (json.dumps(fields(summary="s", symptoms=["a"] * 9)), "exceeds"),
        (json.dumps(fields(summary="   ")), "empty"),
    ],
    ids=["list", "cut-off", "nested", "long-text", "many-items", "blank-summary"],
)
def test_parse_fields_refuses_what_the_schema_does_not_allow(raw: str, problem: str) -> None:
    parsed = parse_fields(raw)
    assert isinstance(parsed, Violation) and problem in parsed.problem


def test_the_json_schema_and_the_parser_agree() -> None:
    import jsonschema

    good = fields(summary="s", symptoms=["a", "a", " "], workaround="  w  ")
    jsonschema.validate(good, json_schema())
    assert problems(good) == []
    assert parse_fields(json.dumps(good)) == fields(summary="s", symptoms=["a"], workaround="w")
