"""``LLM_PROVIDER=ollama``: chat through the official ``ollama`` client.

``POST /api/chat`` with ``format`` set to the JSON schema (Ollama's structured outputs),
``temperature`` 0 and ``num_predict`` as the token cap; readiness from ``GET /api/tags``
(the models pulled). Limits, retries and fault mapping come from :mod:`rrag.llm.runtime`.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import ollama

from rrag.llm.runtime import CallPolicy, Fault, elapsed_ms, outbound_transport
from rrag.settings import Settings
from rrag.sync.policy import safe_url

#: a health check must answer quickly even when OLLAMA_TIMEOUT_S is long
READY_TIMEOUT_S = 2.0


def classify(exc: BaseException) -> Fault | None:
    """Which faults of the ollama client are worth a retry (``connect``) or a timeout."""
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    # ollama turns httpx.ConnectError into the builtin ConnectionError; a connection
    # dropped before the reply surfaces as httpx.RemoteProtocolError / ReadError.
    if isinstance(exc, ConnectionError | httpx.NetworkError | httpx.RemoteProtocolError):
        return "connect"
    # the client builds its response with ChatResponse(**r.json()): a body that is not
    # JSON raises ValueError, not an object TypeError, a wrong shape ValidationError
    if isinstance(exc, ValueError | TypeError | httpx.HTTPError):
        return "broken"
    return None


def model_names(listed: Any) -> set[str]:
    """The pulled models' names, also without a ``:latest`` tag (Ollama's own default)."""
    names = {str(m.model or "") for m in listed.models}
    return names | {n.removesuffix(":latest") for n in names}


class OllamaChat:
    """A :class:`~rrag.llm.runtime.ChatModel` on an Ollama runtime."""

    provider = "ollama"

    def __init__(self, settings: Settings, *, transport: httpx.BaseTransport | None = None):
        """Build the clients; ``transport`` replaces the network (tests only).

        Raises:
            OutboundPolicyError: ``OLLAMA_BASE_URL`` is refused by the outbound policy.
        """
        config = settings.ollama
        self.model = config.model
        self._where = safe_url(config.base_url)
        self._policy = CallPolicy(
            provider=self.provider,
            where=self._where,
            max_concurrency=config.max_concurrency,
            timeout_s=config.timeout_s,
            classify=classify,
        )
        outbound = outbound_transport(settings, "OLLAMA_BASE_URL", transport)
        self._client = self._new_client(config.base_url, config.timeout_s, outbound)
        self._ready_client = self._new_client(
            config.base_url, min(READY_TIMEOUT_S, config.timeout_s), outbound
        )

    @staticmethod
    def _new_client(url: str, timeout_s: float, outbound: httpx.BaseTransport) -> ollama.Client:
        # follow_redirects=False: a redirect could lead past the outbound policy
        return ollama.Client(
            host=url, timeout=timeout_s, follow_redirects=False, transport=outbound
        )

    def chat_json(
        self, messages: list[dict[str, str]], schema: dict[str, Any], *, max_tokens: int = 512
    ) -> str:
        """The reply text generated under ``schema``; see ChatModel.chat_json."""
        return self._policy.run(lambda: self._chat(messages, schema, max_tokens))

    def _chat(self, messages: list[dict[str, str]], schema: dict[str, Any], cap: int) -> str:
        try:
            response = self._client.chat(
                model=self.model,
                messages=messages,
                format=schema,
                options={"temperature": 0, "num_predict": cap},
                stream=False,
            )
        except ollama.ResponseError as exc:
            raise self._refused(exc) from None
        return str(response.message.content or "")

    def _refused(self, exc: ollama.ResponseError) -> Exception:
        if exc.status_code == 404:
            why = f"model {self.model} is not pulled (ollama pull {self.model})"
        else:
            why = f"HTTP {exc.status_code}"
        return self._policy.unavailable(why, status=exc.status_code)

    def ready(self) -> dict[str, Any]:
        """Reachable and the model pulled; see ChatModel.ready."""
        result: dict[str, Any] = {"provider": self.provider, "model": self.model}
        started = time.perf_counter()
        try:
            names = model_names(self._ready_client.list())
        except ollama.ResponseError as exc:
            result.update(reachable=True, model_ready=False, error=f"HTTP {exc.status_code}")
        except (ConnectionError, httpx.HTTPError, ValueError) as exc:
            result.update(reachable=False, model_ready=False)
            result["error"] = f"{type(exc).__name__}: ollama at {self._where} did not answer"
        else:
            result.update(reachable=True, model_ready=self.model in names)
            if not result["model_ready"]:
                result["error"] = f"model {self.model} is not pulled (ollama pull {self.model})"
        result["latency_ms"] = elapsed_ms(started)
        return result

    def close(self) -> None:
        self._client.close()
        self._ready_client.close()


__all__ = ["OllamaChat", "classify", "model_names"]
