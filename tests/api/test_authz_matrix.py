"""The authorization matrix: every route by every kind of caller by every kind of content.

One store holds four kinds of content, each with words found nowhere else:

* ``public``: an issue in public project 1 (every token may see it);
* ``private_issue``: a private issue in project 1;
* ``private_note``: a private note on the public issue;
* ``out_of_scope``: an issue in public project 2 (outside a ``projects=1`` token) and
  one in non-public project 3 (outside every token but the admin's).

Jobs exist for project 1, project 3 and for every project. For each route of the served
OpenAPI schema and each caller (no token, a bad token, plain, ``projects=1``,
``private``, ``admin``) the matrix states the status code, and every response body is
searched for the words, ids, URLs and job ids that caller may not see. A route missing
from the matrix fails the test, so a new route cannot ship without its rows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from rrag.api import create_app
from rrag.cli.main import main
from rrag.index import IndexUpdater
from rrag.settings import get_settings
from rrag.store.db import Store, open_store
from rrag.sync.jobs import Counters, create_job, mark_done
from tests.api.conftest import api_settings
from tests.index.seed import issue, project

ADMIN = "admin-token-0123456789abcdef"
PRIVATE = "private-token-0123456789abcdef"
PLAIN = "plain-token-0123456789abcdef"
SCOPED = "scoped-token-0123456789abcdef"  # projects=1
TOKENS = f"{ADMIN}:admin,{PRIVATE}:private,{PLAIN},{SCOPED}:projects=1"
CALLERS = {
    "none": None,
    "bad": "not-a-valid-token-0123456789",
    "plain": PLAIN,
    "scoped": SCOPED,
    "private": PRIVATE,
    "admin": ADMIN,
}
QUERY = "marsupial"  # in every item; the words below are each in one item alone

# What each kind of content is: an issue id and a word that occurs in it alone.
CONTENT = {
    "public": (10, "quokka"),
    "private_issue": (12, "wombat"),
    "private_note": (10, "numbat"),
    "other_project": (11, "echidna"),
    "hidden_project": (13, "dingo"),
}
# Which content each caller may see.
SEES = {
    "none": set(),
    "bad": set(),
    "plain": {"public", "other_project"},
    "scoped": {"public"},
    "private": {"public", "other_project", "private_issue", "private_note"},
    "admin": set(CONTENT),
}
# Which jobs each caller may see (job keys: p1, p3, all).
SEES_JOBS = {
    "none": set(),
    "bad": set(),
    "plain": {"p1"},
    "scoped": {"p1"},
    "private": {"p1"},
    "admin": {"p1", "p3", "all"},
}


def _seed(store: Store) -> dict[str, str]:
    project(store, 1)
    project(store, 2)
    project(store, 3, public=False)
    issue(
        store,
        10,
        "Quokka importer crashes on marsupial data",
        "The quokka importer stops on a blank line",
        notes=[
            {"id": 100, "notes": "Quokka marsupial fix is in the next release"},
            {"id": 101, "notes": "Numbat marsupial credentials rotated", "private_notes": True},
        ],
    )
    issue(store, 12, "Wombat private incident", "wombat marsupial details", private=True)
    issue(store, 11, "Echidna export in project two", "echidna marsupial csv", project_id=2)
    issue(store, 13, "Dingo hidden project issue", "dingo marsupial roadmap", project_id=3)
    jobs = {}
    for key, ids in (("p1", [1]), ("p3", [3]), ("all", None)):
        job = create_job(store, "incremental", ids)
        mark_done(store, job.id, "finished", Counters())
        jobs[key] = job.id
    return jobs


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient[Any], Any]]:
    data = Path(tmp_path_factory.mktemp("matrix")) / "data"
    settings = api_settings(data, TOKENS)
    store = open_store(data)
    jobs = _seed(store)
    IndexUpdater(settings, store).drain()
    store.close()
    with TestClient(create_app(settings)) as client:
        yield client, jobs


def _headers(caller: str) -> dict[str, str]:
    token = CALLERS[caller]
    return {} if token is None else {"Authorization": f"Bearer {token}"}


def _forbidden(caller: str, jobs: dict[str, str]) -> list[str]:
    """Every string that must not appear in any response body to ``caller``."""
    words = []
    for kind, (issue_id, word) in CONTENT.items():
        if kind not in SEES[caller]:
            words.append(word)
            words.append("#change-101" if kind == "private_note" else f"/issues/{issue_id}")
    return words + [job_id for key, job_id in jobs.items() if key not in SEES_JOBS[caller]]


def _requests(jobs: dict[str, str]) -> list[tuple[str, str, str, Any]]:
    """(route key, method, url, json body) — several requests per route."""
    reqs: list[tuple[str, str, str, Any]] = [
        ("GET /healthz", "GET", "/healthz", None),
        ("GET /healthz", "GET", "/healthz?detail=1", None),
        ("GET /schema/openapi.json", "GET", "/schema/openapi.json", None),
        ("POST /v1/search", "POST", "/v1/search", {"query": QUERY, "k": 20}),
        ("POST /v1/search", "POST", "/v1/search", {"query": QUERY, "mode": "lexical"}),
        ("POST /v1/search", "POST", "/v1/search", {"query": QUERY, "mode": "vector"}),
        ("POST /v1/ask", "POST", "/v1/ask", {"question": QUERY, "k": 10}),
        ("GET /v1/sync/jobs", "GET", "/v1/sync/jobs?limit=100", None),
    ]
    for _kind, (issue_id, _word) in CONTENT.items():
        reqs.append(
            (
                "GET /v1/issues/{issue_id}/similar",
                "GET",
                f"/v1/issues/{issue_id}/similar?k=20",
                None,
            )
        )
    for job_id in jobs.values():
        reqs.append(("GET /v1/sync/jobs/{job_id}", "GET", f"/v1/sync/jobs/{job_id}", None))
    return reqs


def _schema_routes(client: TestClient[Any]) -> set[str]:
    schema = client.get("/schema/openapi.json").json()
    routes = set()
    for path, operations in schema["paths"].items():
        for method in operations:
            if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                routes.add(f"{method.upper()} {path}")
    return routes


def _status_ok(route: str, url: str, caller: str, jobs: dict[str, str], status: int) -> bool:
    """The status code the matrix expects for one request."""
    if route in {"GET /healthz", "GET /schema/openapi.json"}:
        if "detail=1" in url and caller in {"none", "bad"}:
            return status == 401
        return status in {200, 503}
    if caller in {"none", "bad"}:
        return status == 401
    if route == "GET /v1/sync/jobs/{job_id}":
        key = next(k for k, v in jobs.items() if url.endswith(v))
        return status == (200 if key in SEES_JOBS[caller] else 404)
    if route == "GET /v1/issues/{issue_id}/similar":
        issue_id = int(url.split("/")[3])
        kinds = {k for k, (i, _w) in CONTENT.items() if i == issue_id and k != "private_note"}
        return status == 200 if kinds & SEES[caller] else status in {400, 404, 422}
    return status == 200


def test_the_matrix_covers_every_route_of_the_schema(world: Any) -> None:
    client, jobs = world
    covered = {route for route, *_ in _requests(jobs)} | {"POST /v1/sync/redmine"}
    covered |= {"POST /v1/extract"}  # rows: EXTRACT_ROWS
    covered -= {"GET /schema/openapi.json"}  # the schema does not list itself
    assert _schema_routes(client) == covered


@pytest.mark.parametrize("caller", list(CALLERS))
def test_each_caller_gets_its_status_and_nothing_it_may_not_see(world: Any, caller: str) -> None:
    client, jobs = world
    forbidden = _forbidden(caller, jobs)
    for route, method, url, body in _requests(jobs):
        response = client.request(method, url, json=body, headers=_headers(caller))
        assert _status_ok(route, url, caller, jobs, response.status_code), (
            caller,
            url,
            response.status_code,
            response.text[:300],
        )
        # a 404 may name the id the caller sent; that tells it nothing new
        echo = [word for word in forbidden if word in url]
        leaked = [w for w in forbidden if w.lower() in response.text.lower() and w not in echo]
        assert not leaked, (caller, url, leaked)


@pytest.mark.parametrize("caller", ["plain", "scoped", "private", "admin"])
def test_visible_content_is_found(world: Any, caller: str) -> None:
    """The matrix is not passing by returning nothing: each caller finds what it may see."""
    client, _jobs = world
    found = client.post(
        "/v1/search", json={"query": QUERY, "k": 20, "mode": "lexical"}, headers=_headers(caller)
    ).text.lower()
    for kind in SEES[caller]:
        assert CONTENT[kind][1] in found, (caller, kind)


def _wait_idle(client: TestClient[Any], job_id: str) -> None:
    for _ in range(200):
        got = client.get(f"/v1/sync/jobs/{job_id}", headers=_headers("admin")).json()
        if got["status"] not in {"queued", "running"}:
            return
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not end")


# (body, {caller: expected status}); 403 and 422/400 are the refusals
SYNC_ROWS: list[tuple[dict[str, Any], dict[str, set[int]]]] = [
    ({"project_ids": [1]}, {"plain": {202}, "scoped": {202}, "private": {202}, "admin": {202}}),
    ({"project_ids": [2]}, {"plain": {202}, "scoped": {403}, "private": {202}, "admin": {202}}),
    ({"project_ids": [3]}, {"plain": {403}, "scoped": {403}, "private": {403}, "admin": {202}}),
    ({"project_ids": [99]}, {"plain": {403}, "scoped": {403}, "private": {403}, "admin": {202}}),
    ({"project_ids": []}, {c: {400, 422} for c in ("plain", "scoped", "private", "admin")}),
    ({}, {"plain": {403}, "scoped": {403}, "private": {403}, "admin": {202}}),
]


@pytest.mark.parametrize("caller", list(CALLERS))
def test_sync_routes_follow_the_scope(world: Any, caller: str) -> None:
    client, jobs = world
    messages = {}
    for body, expected in SYNC_ROWS:
        response = client.post("/v1/sync/redmine", json=body, headers=_headers(caller))
        want = {401} if caller in {"none", "bad"} else expected[caller]
        assert response.status_code in want, (caller, body, response.status_code, response.text)
        if response.status_code == 202:
            _wait_idle(client, response.json()["job_id"])
        if response.status_code == 403:
            messages[json.dumps(body)] = response.json()["error"]["message"]
        leaked = [w for w in _forbidden(caller, jobs) if w.lower() in response.text.lower()]
        assert not leaked, (caller, body, leaked)
    # a non-public project and one that does not exist are refused alike: no enumeration
    if '{"project_ids": [3]}' in messages:
        assert messages['{"project_ids": [3]}'] == messages['{"project_ids": [99]}']
    listed = client.get("/v1/sync/jobs?limit=100", headers=_headers(caller))
    if caller not in {"none", "bad"}:
        scope = {"plain": {1, 2}, "scoped": {1}, "private": {1, 2}}.get(caller)
        for job in listed.json()["jobs"]:
            ids = job["project_ids"]
            assert scope is None or (ids is not None and set(ids) <= scope), (caller, job)


# POST /v1/extract is scoped like a sync; this app has no LLM (LLM_PROVIDER=none), so a
# request the scope allows ends in 503, and no job is created
EXTRACT_ROWS: list[tuple[dict[str, Any], dict[str, set[int]]]] = [
    ({"project_ids": [1]}, {"plain": {503}, "scoped": {503}, "private": {503}, "admin": {503}}),
    ({"project_ids": [2]}, {"plain": {503}, "scoped": {403}, "private": {503}, "admin": {503}}),
    ({"project_ids": [3]}, {"plain": {403}, "scoped": {403}, "private": {403}, "admin": {503}}),
    ({"project_ids": [99]}, {"plain": {403}, "scoped": {403}, "private": {403}, "admin": {503}}),
    ({"project_ids": []}, {c: {400, 422} for c in ("plain", "scoped", "private", "admin")}),
    ({}, {"plain": {403}, "scoped": {403}, "private": {403}, "admin": {503}}),
]


@pytest.mark.parametrize("caller", list(CALLERS))
def test_the_extract_route_follows_the_scope(world: Any, caller: str) -> None:
    client, jobs = world
    messages = {}
    for body, expected in EXTRACT_ROWS:
        response = client.post("/v1/extract", json=body, headers=_headers(caller))
        want = {401} if caller in {"none", "bad"} else expected[caller]
        assert response.status_code in want, (caller, body, response.status_code, response.text)
        if response.status_code == 403:
            messages[json.dumps(body)] = response.json()["error"]["message"]
        leaked = [w for w in _forbidden(caller, jobs) if w.lower() in response.text.lower()]
        assert not leaked, (caller, body, leaked)
    if '{"project_ids": [3]}' in messages:  # no enumeration of non-public projects
        assert messages['{"project_ids": [3]}'] == messages['{"project_ids": [99]}']


def test_a_conflict_does_not_reveal_another_scopes_job(world: Any) -> None:
    client, _jobs = world
    store = open_store(client.app.state.services.settings.store.data_dir)
    try:
        hidden = create_job(store, "incremental", None)  # an admin's all-projects job, queued
        try:
            for caller in ("plain", "scoped", "private"):
                response = client.post(
                    "/v1/sync/redmine", json={"project_ids": [1]}, headers=_headers(caller)
                )
                assert response.status_code == 409, response.text
                assert hidden.id not in response.text
            response = client.post(
                "/v1/sync/redmine", json={"project_ids": [1]}, headers=_headers("admin")
            )
            assert response.status_code == 409 and hidden.id in response.text
        finally:
            mark_done(store, hidden.id, "cancelled", Counters())
    finally:
        store.close()


def _cli_search(data: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any, *argv: str) -> str:
    monkeypatch.setenv("RRAG_DATA_DIR", str(data))
    monkeypatch.setenv("EMBEDDING_PROVIDER", "hashing")
    get_settings.cache_clear()
    try:
        assert main(list(argv)) == 0
    finally:
        get_settings.cache_clear()
    return capsys.readouterr().out.lower()


def test_cli_default_caller_sees_public_content_and_all_sees_everything(
    world: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    client, _jobs = world
    data = client.app.state.services.settings.store.data_dir
    commands = [
        ("search", QUERY, "--k", "20", "--json"),
        ("ask", QUERY, "--k", "10", "--json"),
        ("similar", "10", "--k", "20", "--json"),
    ]
    for command in commands:
        default = _cli_search(data, monkeypatch, capsys, *command)
        every = _cli_search(data, monkeypatch, capsys, *command, "--all")
        for kind, (_issue_id, word) in CONTENT.items():
            if kind not in {"public", "other_project"}:
                assert word not in default, (command, kind)
        if command[0] == "search":
            assert all(word in every for _i, word in CONTENT.values()), command
