"""Redmine's vocabulary for everyday words: expansion rules, bad glossary files, and the
effect through `rrag search`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rrag.errors import ConfigError
from rrag.retrieval import glossary
from tests.retrieval.conftest import cli


def test_everyday_words_add_redmine_terms_once_and_only_for_whole_words() -> None:
    g = glossary.Glossary({"issue": ["ticket", "tickets"], "gantt": ["timeline"]})
    assert g.expand("Timeline of my TICKETS") == "Timeline of my TICKETS\nissue, gantt"
    assert g.terms_for("ticketing system, timelines") == []  # not inside longer words
    assert g.terms_for("ticket about the issue list") == []  # already says "issue"
    assert g.expand("nothing to add") == "nothing to add"


def test_builtin_glossary_loads_and_none_turns_it_off() -> None:
    builtin = glossary.load("builtin")
    assert len(builtin) > 20 and "watcher" in builtin.terms_for("add a follower")
    assert glossary.load("none").expand("add a follower") == "add a follower"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"issue": "ticket"}', "'issue' must map to a list of non-empty strings"),
        ('{"issue": [""]}', "'issue' must map to a list of non-empty strings"),
    ],
)
def test_a_bad_glossary_file_is_a_config_error_naming_it(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "g.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message) as err:
        glossary.load(str(path))
    assert str(path) in str(err.value)


def _search_ids(world: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any, q: str) -> list[int]:
    code, out, err = cli(world[0], monkeypatch, capsys, "search", q, "--mode", "lexical", "--json")
    assert code == 0, err
    return [r["issue_id"] for r in json.loads(out)["results"]]


def test_cli_search_finds_gantt_when_asked_about_the_timeline(
    world: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    assert _search_ids(world, monkeypatch, capsys, "timeline pdf is blank")[0] == 11
    monkeypatch.setenv("RETRIEVAL_GLOSSARY", "none")
    assert 11 not in _search_ids(world, monkeypatch, capsys, "timeline view is blank")
    monkeypatch.delenv("RETRIEVAL_GLOSSARY")
    assert _search_ids(world, monkeypatch, capsys, "timeline view is blank") == [11]


def test_cli_with_an_unreadable_glossary_exits_2_with_one_line(
    world: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any, tmp_path: Path
) -> None:
    monkeypatch.setenv("RETRIEVAL_GLOSSARY", str(tmp_path / "missing.json"))
    code, out, err = cli(world[0], monkeypatch, capsys, "search", "timeline", "--json")
    assert code == 2 and out == ""
    assert "RETRIEVAL_GLOSSARY" in err and "missing.json" in err and "Traceback" not in err
