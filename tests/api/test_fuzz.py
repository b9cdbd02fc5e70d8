"""Property-based fuzzing of every route from the served OpenAPI schema: never a 5xx.

Schemathesis generates valid and invalid requests for each operation in ``/schema``; the
app runs under uvicorn on loopback with a real store and index, configured as a full
service: its LLM is the Ollama stand-in on loopback, so ``/v1/ask`` and ``/v1/extract``
run their real paths (without an LLM, ``/v1/extract`` answers 503 by design). Every
answer must be below 500, every error must have the uniform body, and every success body
must match the response schema the route documents (the typed results).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import response_schema_conformance

from rrag.api import create_app
from rrag.index import IndexUpdater
from rrag.settings import LLMSettings, OllamaSettings
from rrag.store.db import open_store
from tests.api.conftest import OPS_TOKEN, api_settings, auth
from tests.api.live import serving
from tests.index.seed import small_corpus
from tests.llm.ollama_standin import OllamaStandIn, running


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = Path(tmp_path_factory.mktemp("fuzz")) / "data"
    with running(OllamaStandIn()) as ollama:
        app_settings = api_settings(data, f"{OPS_TOKEN}:private").model_copy(
            update={
                "llm": LLMSettings(provider="ollama"),
                "ollama": OllamaSettings(base_url=ollama.base_url, timeout_s=5.0),
            }
        )
        store = open_store(data)
        small_corpus(store)
        IndexUpdater(app_settings, store).drain()
        store.close()
        with serving(create_app(app_settings)) as url:
            yield url


@pytest.fixture(scope="module")
def api_schema(live_url: str) -> Any:
    return schemathesis.openapi.from_url(f"{live_url}/schema/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_generated_request_gets_a_server_error(case: Any, live_url: str) -> None:
    response = case.call(base_url=live_url, headers=auth())
    assert response.status_code < 500, (case.method, case.formatted_path, response.text)
    if response.status_code < 300:
        case.validate_response(response, checks=[response_schema_conformance])
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"} and {"type", "message"} <= set(body["error"])
        assert "Traceback" not in response.text
