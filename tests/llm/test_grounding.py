"""The grounding check: a sentence stands only on what its cited passages say."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rrag.llm.grounding import exact_tokens, unsupported

CITED = (
    "LDAP sign in fails after upgrading to Redmine 5.1.2. The log shows "
    "Net::LDAP::Error in config/configuration.yml at line 42; set ldap_timeout to 10. "
    "It does not happen with Active Directory."
)


@pytest.mark.parametrize(
    "sentence",
    [
        "LDAP sign in fails after upgrading to Redmine 5.1.2.",
        "Upgrading Redmine to 5.1.2 makes the LDAP sign in fail.",
        "Set ldap_timeout to 10 in config/configuration.yml.",
        "It does not happen with Active Directory.",
    ],
)
def test_supported_sentences_pass(sentence: str) -> None:
    assert unsupported(sentence, CITED) is None


@pytest.mark.parametrize(
    "sentence, why",
    [
        ("LDAP sign in fails after upgrading to Redmine 5.1.3.", "5.1.3"),
        ("LDAP sign in fails after upgrading to Redmine 5.1.", "5.1"),
        ("Set ldap_timeout to 30 to fix the sign in.", "30"),
        ("The error is in database.yml.", "database.yml"),
        ("Set ldap_retries in the configuration.", "ldap_retries"),
        ("This is tracked in #4711.", "#4711"),
        ("LDAP sign in does not fail after upgrading.", "negation"),
        ("LDAP sign in never worked.", "negation"),
        ("Rebooting the mail server and clearing the browser cache helps.", "words"),
    ],
)
def test_unsupported_sentences_are_caught_with_a_reason(sentence: str, why: str) -> None:
    reason = unsupported(sentence, CITED)
    assert reason is not None and why in reason


def test_a_sentence_citing_nothing_is_unsupported() -> None:
    assert unsupported("LDAP fails.", "") == "cites no retrieved passage"


def test_exact_tokens_are_the_checkable_ones() -> None:
    assert exact_tokens("See #12, r2000, E1234 and app/models/user.rb in v5.1") >= {
        "#12",
        "r2000",
        "e1234",
        "app/models/user.rb",
        "v5.1",
    }
    assert exact_tokens("Plain words only here.") == set()


words = st.sampled_from(
    ["ldap", "login", "gantt", "5.1.2", "user_id", "not", "never", "doesn't", "#42", "pdf", "10"]
)


@given(st.lists(st.lists(words, min_size=3, max_size=10), min_size=1, max_size=5), st.data())
def test_any_sentence_copied_from_the_cited_text_passes(
    sentences: list[list[str]], data: st.DataObject
) -> None:
    texts = ["Export " + " ".join(s) + "." for s in sentences]  # each says something
    copied = data.draw(st.sampled_from(texts))
    assert unsupported(copied, " ".join(texts)) is None
