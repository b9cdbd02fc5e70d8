"""The service loads its retriever when it starts, so the first search does not wait for it.

The load runs before the server accepts its first request; the operator sees it in the
log as ``retriever_loaded`` then ``warm_up_done``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from rrag.index import IndexUpdater
from rrag.store.db import open_store
from tests.api.conftest import OPS_TOKEN, AppFactory, api_settings, auth
from tests.index.seed import small_corpus


def _events(buffer: io.StringIO) -> list[str]:
    return [json.loads(line)["event"] for line in buffer.getvalue().splitlines()]


def test_the_service_loads_the_index_at_start_not_on_the_first_search(
    tmp_path: Path, make_client: AppFactory, json_log: io.StringIO
) -> None:
    settings = api_settings(tmp_path / "data")
    store = open_store(settings.store.data_dir)
    small_corpus(store)
    IndexUpdater(settings, store).drain()
    store.close()

    client = make_client(f"{OPS_TOKEN}:admin")  # returns once the app has started
    before = _events(json_log)
    assert "warm_up_done" in before, before
    assert before.index("retriever_loaded") < before.index("warm_up_done")

    response = client.post("/v1/search", json={"query": "printer"}, headers=auth())
    assert response.status_code < 300, response.text
    during = _events(json_log)[len(before) :]
    assert "search_served" in during and "retriever_loaded" not in during, during
