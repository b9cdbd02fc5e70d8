"""Reading a model reply: anything malformed, oversized or nested is a Violation."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rrag.llm.reply import MAX_REPLY_CHARS, Reply, Sentence, Violation, parse_reply


def reply(*sentences: tuple[str, list[int]], abstain: bool = False) -> str:
    items = [{"text": t, "citations": c} for t, c in sentences]
    return json.dumps({"abstain": abstain, "sentences": items})


def test_a_valid_reply_is_read() -> None:
    parsed = parse_reply(reply(("LDAP  fails.", [1, 2, 1])), 2)
    assert parsed == Reply(False, [Sentence("LDAP fails.", (1, 2))])


def test_citations_to_passages_not_given_are_dropped_and_remembered() -> None:
    parsed = parse_reply(reply(("It was fixed.", [5, 1, 7, 0])), 4)
    assert isinstance(parsed, Reply)
    assert parsed.sentences == [Sentence("It was fixed.", (1,), (5, 7, 0))]


def test_an_abstention_is_read() -> None:
    assert parse_reply(reply(abstain=True), 3) == Reply(True)


@pytest.mark.parametrize(
    "raw, problem",
    [
        ("not json at all", "not JSON"),
        ('{"abstain": false, "sentences": [', "not JSON"),
        ("[" * 100_000 + "]" * 100_000, "exceeds"),
        ("[" * 5_000 + "]" * 5_000, "nests too deeply"),
        ("x" * (MAX_REPLY_CHARS + 1), "exceeds"),
        (json.dumps({"abstain": False, "sentences": []}), "neither abstains"),
        (json.dumps({"abstain": False}), "exactly abstain and sentences"),
        (json.dumps({"abstain": False, "sentences": [], "extra": 1}), "exactly"),
        (json.dumps({"abstain": "no", "sentences": []}), "not a boolean"),
        (json.dumps(["abstain", "sentences"]), "not an object"),
        (reply(("", [1])), "non-empty"),
        (reply(("x" * 401, [1])), "longer than"),
        (reply(("ok", [True])), "list of integers"),
        (reply(("ok", ["1"])), "list of integers"),
        (reply(("ok", [1, 2, 3, 4, 5])), "more than 4 citations"),
        (json.dumps({"abstain": False, "sentences": [{"text": {"nested": "json"}}]}), "exactly"),
        (reply(*[("ok", [1])] * 6), "more than 5 sentences"),
    ],
)
def test_malformed_replies_are_violations(raw: str, problem: str) -> None:
    parsed = parse_reply(raw, 3)
    assert isinstance(parsed, Violation)
    assert problem in parsed.problem


@given(st.text(max_size=300))
def test_no_text_makes_the_reader_raise(raw: str) -> None:
    assert isinstance(parse_reply(raw, 3), Reply | Violation)
