"""The typed answer: one guardrail counter per kind, the keys clients read."""

from __future__ import annotations

import msgspec

from rrag.guardrails import KINDS
from rrag.llm import Answer, Citation, GuardrailCounts

ANSWER_KEYS = [
    "question",
    "answer",
    "answerer",
    "grounded",
    "abstained",
    "fallback_reason",
    "citations",
    "sources",
    "guardrails",
    "withheld",
    "retrieval_mode",
    "took_ms",
]


def test_every_guardrail_kind_has_a_counter() -> None:
    assert GuardrailCounts.__struct_fields__ == KINDS


def test_an_answer_encodes_to_the_documented_keys() -> None:
    cite = Citation(ref=1, issue_id=7, journal_id=None, url="http://r/issues/7", quote="Fixed.")
    answer = Answer(
        question="q",
        answer="Fixed. [1]",
        answerer="extractive",
        grounded=True,
        abstained=False,
        fallback_reason=None,
        citations=[cite],
        sources=[],
        guardrails=GuardrailCounts(unsafe_content=2),
        withheld=[],
        retrieval_mode="hybrid",
        took_ms=1.5,
    )
    body = msgspec.json.decode(msgspec.json.encode(answer))
    assert list(body) == ANSWER_KEYS
    assert body["citations"] == [
        {"ref": 1, "issue_id": 7, "journal_id": None, "url": "http://r/issues/7", "quote": "Fixed."}
    ]
    assert body["guardrails"] == {kind: 2 * (kind == "unsafe_content") for kind in KINDS}
