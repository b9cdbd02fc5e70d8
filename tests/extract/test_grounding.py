"""What the extraction grounding keeps and drops (pure: no model, no store)."""

from __future__ import annotations

from rrag.extract.grounding import ground
from tests.extract.conftest import fields

ISSUE = (
    "#7 Importer crash\n\nBug · New\n\nThe CSV importer stops with ERR_IMPORT_7 in "
    "app/models/import.rb on Redmine 5.1.2.\n\nNote 1: Fixed by skipping blank lines."
)


def test_copied_values_are_kept() -> None:
    given = fields(
        summary="The CSV importer stops on blank lines.",
        error_signatures=["err_import_7"],
        affected_components=["app/models/import.rb"],
        resolution="Fixed in 5.1.2 by skipping blank lines.",
    )
    kept, claims = ground(given, ISSUE)
    assert claims == [] and kept == given


def test_invented_tokens_quoted_commands_and_prompt_echoes_are_dropped() -> None:
    given = fields(
        summary="One or two sentences",  # SmolLM2 copying the prompt's field description
        symptoms=["the importer stops", "run `sudo csv-repair` to see it"],
        error_signatures=["ERR_IMPORT_7", "ERR_IMPORT_8"],
        root_cause="A regression in 5.1.3.",
        workaround="Use the importer of Redmine 5.1.2 on the CSV.",
    )
    kept, claims = ground(given, ISSUE)
    assert kept == fields(
        symptoms=["the importer stops"],
        error_signatures=["ERR_IMPORT_7"],
        workaround="Use the importer of Redmine 5.1.2 on the CSV.",
    )
    assert [c.field for c in claims] == ["summary", "symptoms", "error_signatures", "root_cause"]
    assert claims[1].missing == ("sudo csv-repair",) and claims[3].missing == ("5.1.3",)
