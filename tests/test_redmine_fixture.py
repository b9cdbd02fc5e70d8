"""The seeded Redmine has what scripts/redmine/seed.py promised (read over REST)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.redmine


def _total(client: httpx.Client, **params: Any) -> int:
    response = client.get("/issues.json", params={"limit": 1, **params})
    response.raise_for_status()
    return int(response.json()["total_count"])


def test_issue_counts_per_project_tracker_and_status(redmine: Any) -> None:
    summary = redmine.summary
    first, last = summary["issue_id_range"]
    seeded = {"issue_id": f"><{first}|{last}"}  # issues added by other tests do not count
    with redmine.client() as client:
        for ident, project in summary["projects"].items():
            everything = _total(
                client, project_id=ident, subproject_id="!*", status_id="*", **seeded
            )
            assert everything == project["issues"], ident
            assert (
                _total(client, project_id=ident, subproject_id="!*", **seeded) == project["open"]
            ), ident
            assert project["open"] < everything  # closed issues exist and are hidden by default
        statuses = client.get("/issue_statuses.json").json()["issue_statuses"]
        for status in statuses:
            count = _total(client, status_id=status["id"], **seeded)
            assert count == summary["issues_by_status"][status["name"]] > 0, status["name"]
        trackers = client.get("/trackers.json").json()["trackers"]
        by_tracker = {
            t["name"]: _total(client, tracker_id=t["id"], status_id="*", **seeded) for t in trackers
        }
    assert {k: v for k, v in by_tracker.items() if v} == summary["issues_by_tracker"]
    assert sum(summary["issues_by_tracker"].values()) == summary["issues_total"] >= 300


def test_private_project_subproject_and_private_issue(redmine: Any) -> None:
    with redmine.client() as client:
        projects = {
            p["identifier"]: p
            for p in client.get("/projects.json", params={"limit": 100}).json()["projects"]
        }
        private_issue = client.get(f"/issues/{redmine.summary['private_issue_ids'][0]}.json")
    for ident in redmine.summary["private_projects"]:
        assert projects[ident]["is_public"] is False
    for child, parent in redmine.summary["subprojects"].items():
        assert projects[child]["parent"]["id"] == projects[parent]["id"]
    assert private_issue.json()["issue"]["is_private"] is True


def test_private_notes_are_flagged_and_hidden_from_non_members(redmine: Any) -> None:
    journal_ids = set(redmine.summary["private_note_journal_ids"])
    assert journal_ids
    with redmine.client() as client:
        issue_id = next(
            i["id"]
            for i in client.get(
                "/issues.json", params={"project_id": "atlas", "status_id": "*", "limit": 100}
            ).json()["issues"]
            if _has_private_note(client, i["id"], journal_ids)
        )
        as_admin = _journals(client, issue_id)
        as_reporter = _journals(client, issue_id, headers={"X-Redmine-Switch-User": "carol"})
    private = [j for j in as_admin if j["id"] in journal_ids]
    assert private and all(j["private_notes"] is True and j["notes"] for j in private)
    assert not {j["id"] for j in as_reporter} & journal_ids  # Reporter lacks view_private_notes


def _journals(client: httpx.Client, issue_id: int, **kwargs: Any) -> list[dict[str, Any]]:
    response = client.get(f"/issues/{issue_id}.json", params={"include": "journals"}, **kwargs)
    response.raise_for_status()
    return list(response.json()["issue"]["journals"])


def _has_private_note(client: httpx.Client, issue_id: int, journal_ids: set[int]) -> bool:
    return any(j["id"] in journal_ids for j in _journals(client, issue_id))


def test_journals_hold_notes_status_changes_and_a_description_change(redmine: Any) -> None:
    issue_id = redmine.summary["description_change_issue_ids"][0]
    with redmine.client() as client:
        journals = _journals(client, issue_id)
        closed = client.get(
            "/issues.json", params={"project_id": "atlas", "status_id": "c", "limit": 100}
        ).json()["issues"]
        status_journals = [j for i in closed[:10] for j in _journals(client, i["id"])]
    assert any(d["name"] == "description" for j in journals for d in j["details"])
    pure_changes = [j for j in status_journals if not j["notes"] and j["details"]]
    assert any(d["name"] == "status_id" for j in pure_changes for d in j["details"])
    assert any(j["notes"] for j in status_journals)


def test_wiki_has_nested_pages_with_headings(redmine: Any) -> None:
    parents = redmine.summary["wiki_parents"]["atlas"]
    with redmine.client() as client:
        index = client.get("/projects/atlas/wiki/index.json").json()["wiki_pages"]
        page = client.get("/projects/atlas/wiki/LDAP_outage.json").json()["wiki_page"]
        no_wiki = client.get("/projects/legacy-ops/wiki/index.json")
    by_title = {p["title"]: p for p in index}
    assert set(by_title) == set(redmine.summary["wiki"]["atlas"])
    for title, parent in parents.items():
        assert by_title[title]["parent"]["title"] == parent
    assert page["parent"]["title"] == "Incident_response" and "h2. Mitigation" in page["text"]
    assert no_wiki.status_code == 404  # the project without the wiki module


def test_duplicates_attachment_and_custom_fields(redmine: Any) -> None:
    dup, orig = redmine.summary["duplicates"][0]
    attachment = redmine.summary["attachments"][0]
    with redmine.client() as client:
        relations = client.get(f"/issues/{dup}/relations.json").json()["relations"]
        issue = client.get(
            f"/issues/{attachment['issue_id']}.json", params={"include": "attachments"}
        ).json()["issue"]
        content = client.get(f"/attachments/download/{attachment['attachment_id']}")
    assert {"issue_id": dup, "issue_to_id": orig, "relation_type": "duplicates"}.items() <= next(
        r for r in relations if r["relation_type"] == "duplicates"
    ).items()
    assert [a["filename"] for a in issue["attachments"]] == ["ldap-timeout.log"]
    assert b"Connection timed out" in content.content
    values = {f["name"]: f.get("value") for f in issue["custom_fields"]}
    assert values["Customer impact"] in {"Low", "Medium", "High", "Critical"}
    assert values["Affected version"]


def test_api_key_stays_out_of_repr_and_query_strings(redmine: Any) -> None:
    assert redmine.api_key not in repr(redmine)
    with redmine.client() as client:
        response = client.get("/users/current.json")
    assert response.status_code == 200 and redmine.api_key not in str(response.request.url)
