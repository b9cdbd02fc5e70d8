"""Extraction fixtures: a seeded store and the Ollama stand-in answering as an extractor.

The stand-in's default reply reads the issue id from the prompt (``#N subject``) and
answers with fields taken from that issue's own text, so every value is grounded; tests
swap ``reply`` to script bad or invented answers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rrag.settings import LLMSettings, Settings
from rrag.store.db import Store, open_store
from tests.index import seed
from tests.llm.conftest import settings_for_ollama
from tests.llm.ollama_standin import OllamaStandIn, running

_ID = re.compile(r"<issue>\n#(\d+) ")


def issue_of(request: dict[str, Any]) -> int:
    """The issue id an extraction request is about (from its user message)."""
    found = _ID.search(request["messages"][-1]["content"])
    assert found, request["messages"][-1]["content"][:200]
    return int(found.group(1))


def fields(**given: Any) -> dict[str, Any]:
    empty: dict[str, Any] = {
        "summary": "",
        "symptoms": [],
        "error_signatures": [],
        "root_cause": "",
        "resolution": "",
        "affected_components": [],
        "workaround": "",
    }
    return {**empty, **given}


def grounded_reply(request: dict[str, Any]) -> str:
    """What a good extractor says about seeded issue N (every value in its text)."""
    n = issue_of(request)
    return json.dumps(
        fields(
            summary=f"The importer crashes on blank lines (case {n}).",
            symptoms=["the importer stops"],
            error_signatures=[f"ERR_IMPORT_{n}"],
            resolution="Fixed by skipping blank lines.",
            affected_components=["importer"],
        )
    )


def seed_issues(store: Store, ids: range, *, project_id: int = 1, private: bool = False) -> None:
    for n in ids:
        seed.issue(
            store,
            n,
            f"Importer crash {n}",
            f"The importer stops with ERR_IMPORT_{n} on blank lines (case {n}).",
            project_id=project_id,
            private=private,
            notes=[{"id": 1000 + n, "notes": "Fixed by skipping blank lines."}],
        )


def extract_settings(
    tmp_path: Path, base_url: str, *, batch: int = 4, concurrency: int = 2, **ollama: Any
) -> Settings:
    base = settings_for_ollama(tmp_path, base_url, max_concurrency=concurrency, **ollama)
    llm = LLMSettings(provider="ollama", extract_batch_size=batch)
    return base.model_copy(update={"llm": llm})


@pytest.fixture
def standin() -> Iterator[OllamaStandIn]:
    with running(OllamaStandIn(reply=grounded_reply)) as server:
        yield server


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(tmp_path)
    seed.project(s, 1)
    seed.project(s, 2)
    yield s
    s.close()
