"""``POST /v1/ask`` shares one answerer (one chat model, its HTTP clients) per process.

Built on the first question, reused by every later one (a request never closes it), and
closed when the app shuts down. Through the real app, the real ``ollama`` client and the
Ollama stand-in on loopback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from rrag.api import create_app
from tests.api.conftest import LOOPBACK_URL, OPS_TOKEN, api_settings, auth
from tests.llm.ollama_standin import OllamaStandIn
from tests.llm.test_generative_ollama import QUESTION, with_ollama
from tests.llm.test_generative_ollama import data_dir as data_dir  # a fixture


def _quote_first_passage(request: dict[str, Any]) -> str:
    """A grounded reply: passage 1's subject line, citing passage 1."""
    prompt = request["messages"][-1]["content"]
    subject = prompt.split('<passage id="1"', 1)[1].split("Subject: ", 1)[1].split("\n", 1)[0]
    return json.dumps({"abstain": False, "sentences": [{"text": subject, "citations": [1]}]})


def _closed(answerer: Any) -> bool:
    # the ollama client's httpx.Client: closed means its connections are released
    return bool(answerer.model._client._client.is_closed)


def test_the_chat_model_is_built_once_reused_and_closed_at_shutdown(
    data_dir: Path, ollama_standin: OllamaStandIn
) -> None:
    ollama_standin.reply = _quote_first_passage
    settings = with_ollama(api_settings(data_dir, f"{OPS_TOKEN}:admin"), ollama_standin)
    app = create_app(settings)
    services = app.state["services"]
    with TestClient(app, base_url=LOOPBACK_URL) as client:
        first = client.post("/v1/ask", json={"question": QUESTION}, headers=auth())
        shared = services._answerer  # built by that request
        assert shared is not None and shared.model is not None
        second = client.post("/v1/ask", json={"question": QUESTION}, headers=auth())
        assert [first.status_code, second.status_code] == [200, 200]
        assert [r.json()["answerer"] for r in (first, second)] == ["ollama", "ollama"]
        assert ollama_standin.chat_calls == 2
        assert services.answerer() is shared and not _closed(shared)
    assert _closed(shared)
