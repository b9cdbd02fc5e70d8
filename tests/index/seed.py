"""Write issues, notes, projects and wiki pages into a real store the way the sync does."""

from __future__ import annotations

from typing import Any

from rrag.store.db import Store
from rrag.store.models import WikiPage
from rrag.sync import writer
from rrag.sync.normalize import issue_bundle, wiki_row


def project(store: Store, pid: int, public: bool = True, identifier: str | None = None) -> None:
    with store.write() as s:
        writer.save_projects(
            s,
            [
                {
                    "id": pid,
                    "identifier": identifier or f"p{pid}",
                    "name": f"Project {pid}",
                    "is_public": public,
                }
            ],
        )


def issue(
    store: Store,
    iid: int,
    subject: str,
    description: str = "",
    *,
    project_id: int = 1,
    notes: list[dict[str, Any]] | None = None,
    private: bool = False,
    tracker: str = "Bug",
    status: str = "New",
    closed: bool = False,
    updated_on: str = "2024-01-01T00:00:00Z",
    category: str | None = None,
) -> None:
    """Upsert one issue (journals: ``{"id", "notes", "private_notes"?, "details"?}``)."""
    raw = {
        "id": iid,
        "project": {"id": project_id},
        "tracker": {"id": 1, "name": tracker},
        "status": {"id": 5 if closed else 1, "name": status},
        "subject": subject,
        "description": description,
        "is_private": private,
        "updated_on": updated_on,
        "closed_on": updated_on if closed else None,
        "category": {"id": 1, "name": category} if category else None,
        "journals": [
            # Redmine always sends private_notes (a journal without it counts as private)
            {"created_on": f"2024-01-0{1 + n % 8}T00:00:00Z", "private_notes": False, **j}
            for n, j in enumerate(notes or [])
        ],
    }
    bundle = issue_bundle(raw, {5}, index_private=True, max_bytes=100_000)
    with store.write() as s:
        writer.save_bundles(s, [bundle])


def delete_issue(store: Store, iid: int) -> None:
    with store.write() as s:
        writer.delete_issues(s, [iid])


def wiki(store: Store, project_id: int, title: str, text: str) -> int:
    page, _ = wiki_row(
        {"title": title, "text": text, "version": 1, "updated_on": "2024-01-01T00:00:00Z"},
        project_id,
        100_000,
    )
    with store.write() as s:
        return writer.save_wiki(s, WikiPage(**page.model_dump()))


def hashing_settings(data_dir: Any, dim: int = 256, **retrieval: Any) -> Any:
    """Test settings with the hashing embedder (fast, no model)."""
    from rrag.settings import EmbeddingSettings, RetrievalSettings
    from tests.conftest import make_settings

    base = make_settings(data_dir)
    return base.model_copy(
        update={
            "embedding": EmbeddingSettings(provider="hashing", dim=dim),
            "retrieval": RetrievalSettings(**retrieval),
        }
    )


def small_corpus(store: Store) -> None:
    """Two public projects, one private project, private issue and private note."""
    project(store, 1)
    project(store, 2)
    project(store, 3, public=False)
    issue(
        store,
        10,
        "Login fails with LDAP",
        "Users cannot sign in when LDAP is enabled",
        notes=[
            {"id": 100, "notes": "Same with Active Directory over LDAPS"},
            {
                "id": 101,
                "notes": "",
                "details": [
                    {"property": "attr", "name": "status_id", "old_value": "1", "new_value": "2"}
                ],
            },
            {"id": 102, "notes": "Workaround: the zebracorn password reset", "private_notes": True},
        ],
    )
    issue(
        store,
        11,
        "Gantt chart PDF export broken",
        "Exporting the gantt to PDF is empty",
        tracker="Bug",
        project_id=2,
    )
    issue(store, 12, "Private zebracorn credentials leak", "secret", private=True)
    issue(store, 13, "Zebracorn in the hidden project", "hidden text", project_id=3)
    issue(
        store,
        14,
        "Calendar shows wrong week start",
        "Monday vs Sunday",
        tracker="Feature",
        status="Closed",
        closed=True,
        updated_on="2023-01-01T00:00:00Z",
    )
    wiki(store, 1, "Install_Guide", "h1. Install\n\nRun bundle.\n\nh2. LDAP\n\nConfigure LDAP.")
