"""Unknown means private: a Redmine answer without a visibility flag syncs as non-public.

Redmine always sends ``is_public`` (projects), ``is_private`` (issues) and
``private_notes`` (journals); an answer without one (a proxy rewriting JSON, a plugin, an
old server) says nothing about who may see the content, so it is stored as hidden.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from rrag.index import IndexUpdater
from rrag.retrieval import Caller, Retriever
from rrag.settings import Settings
from rrag.store.db import Store
from rrag.sync import create_job, run_job
from tests.index import seed
from tests.sync.fake_redmine import FakeRedmine, _json

PROJECT_ONE = Caller(project_ids=frozenset({1}), see_private=False)
PROJECT_ONE_ALL = Caller(project_ids=frozenset({1}), see_private=True)


def _projects(entry: dict[str, Any]) -> httpx.Response:
    return _json({"projects": [entry], "total_count": 1, "offset": 0, "limit": 100})


def _sync(store: Store, settings: Settings, fake: FakeRedmine) -> dict[str, Any]:
    job = run_job(store, settings, create_job(store, "full", None).id, transport=fake.transport())
    assert job.status == "finished", job
    IndexUpdater(settings, store).drain()
    return job


def _stored(store: Store, sql: str) -> list[Any]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def _found(settings: Settings, store: Store, caller: Caller, query: str) -> set[Any]:
    retriever = Retriever(settings, store)
    return {
        r.issue_id
        for mode in ("lexical", "vector", "hybrid")
        for r in retriever.search(query, k=20, mode=mode, caller=caller).results
    }


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The shared test settings with the hashing embedder (no model to load)."""
    return seed.hashing_settings(tmp_path / "data")


@pytest.fixture
def fake() -> FakeRedmine:
    fake = FakeRedmine()
    fake.add_issue(1, subject="Quokka migration plan", description="quokka details")
    return fake


def test_a_project_without_is_public_is_stored_private(
    store: Store, settings: Settings, fake: FakeRedmine
) -> None:
    entry = {"id": 1, "name": "P", "identifier": "p"}  # no is_public
    fake.faults["/projects.json"] = [_projects(entry)]
    _sync(store, settings, fake)
    assert _stored(store, "SELECT id, is_public FROM projects") == [(1, 0)]
    assert _found(settings, store, Caller.default(), "quokka migration") == set()
    assert _found(settings, store, PROJECT_ONE, "quokka migration") == {1}  # scoped: visible


def test_a_public_project_stays_public(store: Store, settings: Settings, fake: FakeRedmine) -> None:
    _sync(store, settings, fake)
    assert _stored(store, "SELECT id, is_public FROM projects") == [(1, 1)]
    assert _found(settings, store, Caller.default(), "quokka migration") == {1}


@pytest.mark.parametrize("flag", [None, "true", 1])
def test_is_public_must_be_true_itself(
    store: Store, settings: Settings, fake: FakeRedmine, flag: Any
) -> None:
    fake.faults["/projects.json"] = [
        _projects({"id": 1, "name": "P", "identifier": "p", "is_public": flag})
    ]
    _sync(store, settings, fake)
    assert _stored(store, "SELECT is_public FROM projects") == [(0,)]


def test_an_issue_without_is_private_is_private(
    store: Store, settings: Settings, fake: FakeRedmine
) -> None:
    del fake.issues[1]["is_private"]
    _sync(store, settings, fake)
    assert _stored(store, "SELECT id, is_private FROM issues") == [(1, 1)]
    assert _found(settings, store, PROJECT_ONE, "quokka migration") == set()
    assert _found(settings, store, PROJECT_ONE_ALL, "quokka migration") == {1}


def test_a_note_without_private_notes_is_not_stored(
    store: Store, settings: Settings, fake: FakeRedmine
) -> None:
    fake.issues[1]["journals"] = [
        {"id": 7, "notes": "wombat secret", "created_on": "2026-01-02T00:00:00Z"},
        {"id": 8, "notes": "wombat public", "private_notes": False},
    ]
    _sync(store, settings, fake)
    assert _stored(store, "SELECT id, private_notes FROM journals") == [(8, 0)]
    assert _stored(store, "SELECT journal_id FROM chunks WHERE kind = 'note'") == [(8,)]
