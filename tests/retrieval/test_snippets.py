"""Snippets mark the words the search matched: the same analyzer (stems, accents folded)."""

from __future__ import annotations

from rrag.retrieval.results import SNIPPET_CHARS, snippet


def test_marks_what_the_search_matches_not_only_what_was_typed() -> None:
    text = "The Café crashes when the nightly exports time out; queries to the API too."
    got = snippet(text, "cafe export query timeouts")
    assert got == (
        "The **Café** crashes when the nightly **exports** time out; **queries** to the API too."
    )
    assert snippet(text, "zebracorn") == text  # nothing to mark: the text from its start


def test_the_window_starts_near_the_first_match_deep_in_a_long_text() -> None:
    text = "filler words " * 2_000 + "the LDAP login fails " + "tail " * 200
    got = snippet(text, "ldap")
    assert got.startswith("…") and got.endswith("…") and "**LDAP**" in got
    assert len(got) <= SNIPPET_CHARS + 2 + 4  # the window, two ellipses, one marked word
