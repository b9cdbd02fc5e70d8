"""The rules file: every trigger is a necessary condition of its pattern.

Triggers let a scan skip a regex; a trigger that a real match can lack would silently
turn a detection off. This checks every pattern against every text of the suite (and
the disguised views the normaliser makes of them): wherever a pattern matches, its
triggers must say it may.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rrag.guardrails.normalize import normalise
from rrag.guardrails.rules import Words, compiled
from rrag.guardrails.secrets import _rules as secret_rules
from rrag.guardrails.secrets import gated_rules
from rrag.guardrails.suite import load_suite

BIPIA = Path(__file__).resolve().parents[2].parent / "shared/data/bipia"


def test_a_pattern_never_matches_where_its_triggers_say_it_cannot() -> None:
    cases, _ = load_suite(BIPIA, "all")
    wrong = []
    for case in cases:
        norm = normalise(case.text)
        for rule in compiled("injection"):
            views = norm.latin_views if rule.script == "latin" else norm.native_views
            for view in views:
                if rule.pattern.search(view) and not rule.may_match(Words.of(view)):
                    wrong.append((case.id, rule.name))
        words = Words.of(case.text)
        for srule in secret_rules():
            gated = all(words.has_any(group) for group in srule.triggers)
            if srule.pattern.search(case.text) and not gated:
                wrong.append((case.id, srule.name))
    assert wrong == []


def test_every_injection_rule_and_language_has_patterns() -> None:
    rules = compiled("injection")
    assert {r.name for r in rules} >= {
        "override",
        "role_change",
        "chat_template",
        "assistant_address",
        "response_manipulation",
        "code_injection",
        "exfiltration",
        "hide_or_misstate",
    }
    assert {r.script for r in rules} == {"latin", "cyrillic", "cjk"}


def _gated_one_by_one(text: str) -> list[str]:
    words = Words.of(text)
    return [r.name for r in secret_rules() if all(words.has_any(g) for g in r.triggers)]


def test_the_shared_trigger_scan_gates_secret_rules_as_each_rule_would() -> None:
    # find_secrets checks every trigger string once per text and splits words only when
    # one occurs; it must let through exactly the rules the per-rule check does
    cases, _ = load_suite(BIPIA, "all")
    texts = [case.text for case in cases] + ["keyboard mysqldump", "Passwort: hunter2", ""]
    wrong = [t for t in texts if [r.name for r in gated_rules(t)] != _gated_one_by_one(t)]
    assert wrong == []


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["key", "api_key", "passw", "://", "AKIA", "mysql", "x", " "]), max_size=10
    )
)
def test_the_shared_trigger_scan_agrees_on_made_up_texts(parts: list[str]) -> None:
    text = "".join(parts)
    assert [r.name for r in gated_rules(text)] == _gated_one_by_one(text)


def test_a_rule_naming_an_unknown_mention_frame_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rrag.guardrails import rules as rules_module

    probe = {"rule": "r", "pattern": "a", "mention": "tmpl"}
    monkeypatch.setattr(
        rules_module, "raw_rules", lambda: {"mention": {"template": "x"}, "probe": [probe]}
    )
    with pytest.raises(ValueError, match="unknown mention frame 'tmpl' in r"):
        compiled.__wrapped__("probe")
    probe["mention"] = "template"
    assert compiled.__wrapped__("probe")[0].technical is not None
