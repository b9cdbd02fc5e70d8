from rrag.index.chunking import WIKI_MAX_CHARS, issue_chunks, split_wiki, wiki_chunks
from rrag.store.models import Issue, Journal, Project, WikiPage
from rrag.sync.normalize import issue_bundle


def _issue() -> Issue:
    return Issue(
        id=7,
        project_id=1,
        subject="Crash on save",
        description="Stack trace",
        tracker="Bug",
        status="New",
        category="UI",
        fixed_version="1.0",
        updated_on="2024-02-02T00:00:00Z",
    )


def test_issue_and_note_chunks_with_urls_and_summaries() -> None:
    journals = [
        Journal(
            id=1, issue_id=7, notes="", changes="attr.status_id: 1 → 2", created_on="2024-01-01"
        ),
        Journal(
            id=2,
            issue_id=7,
            notes="Fixed in r42",
            changes="attr.done_ratio: 0 → 100",
            created_on="2024-01-02",
        ),
        Journal(id=3, issue_id=7, notes="secret", private_notes=True, created_on="2024-01-03"),
    ]
    chunks = issue_chunks(_issue(), journals, "http://rm.example/")
    assert [c.kind for c in chunks] == ["issue", "note", "note"]
    assert chunks[0].url == "http://rm.example/issues/7"
    assert chunks[1].url == "http://rm.example/issues/7#change-2"  # Redmine's journal anchor
    assert "Fixed in r42" in chunks[1].text and "done_ratio: 0 → 100" in chunks[1].text
    assert chunks[2].is_private and not chunks[1].is_private
    assert {c.category for c in chunks} == {"UI"} and chunks[0].fixed_version == "1.0"
    assert len({c.content_hash for c in chunks}) == 3


def test_a_note_links_to_its_journal_id_whatever_was_dropped_before_it() -> None:
    # Redmine numbers #note-N over the journals the viewer sees; the store drops private
    # notes (RRAG_INDEX_PRIVATE off), so counting stored journals would make the public
    # note below "#note-2", which for a viewer allowed private notes is the private one
    raw = {
        "id": 7,
        "project": {"id": 1},
        "subject": "Crash on save",
        "journals": [
            {"id": 501, "notes": "", "private_notes": False, "details": [{"name": "x"}]},
            {"id": 502, "notes": "internal only", "private_notes": True},
            {"id": 503, "notes": "Fixed in r42", "private_notes": False},
        ],
    }
    bundle = issue_bundle(raw, set(), index_private=False, max_bytes=10_000)
    journals = [Journal(**j) for j in bundle.journals]
    notes = issue_chunks(Issue(**bundle.issue), journals, "http://rm.example")[1:]
    assert [(c.journal_id, c.url) for c in notes] == [
        (503, "http://rm.example/issues/7#change-503")
    ]


def test_private_issue_makes_every_chunk_private() -> None:
    issue = _issue()
    issue.is_private = True
    chunks = issue_chunks(issue, [Journal(id=2, issue_id=7, notes="n")], "http://x")
    assert all(c.is_private for c in chunks)


def test_wiki_split_by_headings_and_capped() -> None:
    text = "intro\n\nh1. One\n\n" + ("word " * 600) + "\n\n# Two\n\nshort"
    pieces = split_wiki(text)
    assert pieces[0] == "intro" and pieces[-1].startswith("# Two")
    assert all(len(p) <= WIKI_MAX_CHARS for p in pieces) and len(pieces) >= 4
    page = WikiPage(id=5, project_id=1, title="Some Page", text=text)
    chunks = wiki_chunks(page, Project(id=1, identifier="proj", name="P"), "http://x")
    assert chunks[0].url == "http://x/projects/proj/wiki/Some%20Page"
    assert all(c.wiki_title == "Some Page" and c.source_id == 5 for c in chunks)
