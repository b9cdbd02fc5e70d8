"""``LLM_PROVIDER=openai``: any OpenAI-compatible server through the official ``openai``
client (llama.cpp's ``llama-server``, vLLM, LM Studio, Ollama's own ``/v1``).

``POST {LLM_BASE_URL}/chat/completions`` with a strict ``json_schema`` response format,
``temperature`` 0 and ``max_tokens`` as the cap; readiness from ``GET /models``. The
client's own retries are off (``max_retries=0``): :mod:`rrag.llm.runtime` retries
connection errors only, the same way for both providers.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import openai

from rrag.errors import RragError
from rrag.llm.runtime import CallPolicy, Fault, elapsed_ms, outbound_transport
from rrag.settings import Settings
from rrag.sync.policy import safe_url

#: a health check must answer quickly even when LLM_TIMEOUT_S is long
READY_TIMEOUT_S = 2.0
#: the name a json_schema response format must carry (the servers ignore it)
SCHEMA_NAME = "rrag_reply"


def classify(exc: BaseException) -> Fault | None:
    """Which faults of the openai client are worth a retry (``connect``) or a timeout."""
    if isinstance(exc, openai.APITimeoutError):  # a subclass of APIConnectionError
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "connect"
    if isinstance(exc, ValueError | openai.APIResponseValidationError):
        return "broken"  # a body that is not JSON / not a chat completion
    return None


class OpenAIChat:
    """A :class:`~rrag.llm.runtime.ChatModel` on an OpenAI-compatible server."""

    provider = "openai"

    def __init__(self, settings: Settings, *, transport: httpx.BaseTransport | None = None):
        """Build the client; ``transport`` replaces the network (tests only).

        Raises:
            OutboundPolicyError: ``LLM_BASE_URL`` is refused by the outbound policy.
        """
        config = settings.llm
        self.model = config.model
        self._where = safe_url(config.base_url)
        self._policy = CallPolicy(
            provider=self.provider,
            where=self._where,
            max_concurrency=settings.ollama.max_concurrency,
            timeout_s=config.timeout_s,
            classify=classify,
        )
        outbound = outbound_transport(settings, "LLM_BASE_URL", transport)
        # follow_redirects=False: a redirect could lead past the outbound policy
        http = httpx.Client(transport=outbound, follow_redirects=False, timeout=config.timeout_s)
        self._client = openai.OpenAI(
            base_url=config.base_url,
            # llama-server and friends need no key, but the client insists on one
            api_key=config.api_key.get_secret_value() or "none",
            timeout=config.timeout_s,
            max_retries=0,
            http_client=http,
        )

    def chat_json(
        self, messages: list[dict[str, str]], schema: dict[str, Any], *, max_tokens: int = 512
    ) -> str:
        """The reply text generated under ``schema``; see ChatModel.chat_json."""
        return self._policy.run(lambda: self._chat(messages, schema, max_tokens))

    def _chat(self, messages: list[dict[str, str]], schema: dict[str, Any], cap: int) -> str:
        response_format: Any = {
            "type": "json_schema",
            "json_schema": {"name": SCHEMA_NAME, "schema": schema, "strict": True},
        }
        try:
            completion = self._client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                response_format=response_format,
                temperature=0,
                max_tokens=cap,
            )
        except openai.APIStatusError as exc:
            raise self._refused(exc) from None
        except openai.APIConnectionError as exc:
            # the client wraps whatever its transport raised, the policy's refusal too
            if isinstance(exc.__cause__, RragError):
                raise exc.__cause__ from None
            raise
        return self._content(completion)

    def _content(self, completion: Any) -> str:
        # The client builds its models without validation: a server answering 200 with
        # another shape (HTML, a list, no choices) gives an object missing attributes.
        try:
            content = completion.choices[0].message.content
        except (AttributeError, IndexError, KeyError, TypeError):
            raise self._policy.unavailable("unreadable reply (not a chat completion)") from None
        return content if isinstance(content, str) else ""

    def _refused(self, exc: openai.APIStatusError) -> Exception:
        why = f"HTTP {exc.status_code}"
        if exc.status_code == 404:
            why = f"model {self.model} is not served (HTTP 404)"
        return self._policy.unavailable(why, status=exc.status_code)

    def ready(self, timeout_s: float = READY_TIMEOUT_S) -> dict[str, Any]:
        """Reachable and the model served; see ChatModel.ready."""
        result: dict[str, Any] = {"provider": self.provider, "model": self.model}
        started = time.perf_counter()
        try:
            quick = self._client.with_options(timeout=timeout_s, max_retries=0)
            served = {m.id for m in quick.models.list()}
        except openai.APIStatusError as exc:
            # llama-server answers 503 while it loads the model
            result.update(reachable=True, model_ready=False, error=f"HTTP {exc.status_code}")
        except openai.APIError as exc:
            result.update(reachable=False, model_ready=False)
            result["error"] = f"{type(exc).__name__}: {self._where} did not answer"
        else:
            result.update(reachable=True, model_ready=self.model in served)
            if not result["model_ready"]:
                result["error"] = f"model {self.model} is not served at {self._where}"
        result["latency_ms"] = elapsed_ms(started)
        return result

    def close(self) -> None:
        self._client.close()


def probe_openai(settings: Settings, timeout_s: float = 0.5) -> dict[str, Any]:
    """The ``llm_runtime`` health check for ``LLM_PROVIDER=openai``: ``ready()`` + status."""
    try:
        model = OpenAIChat(settings)
    except RragError as exc:  # the outbound policy refused LLM_BASE_URL
        result: dict[str, Any] = {"provider": "openai", "model": settings.llm.model}
        result.update(reachable=False, model_ready=False, latency_ms=0.0, error=exc.message)
    else:
        try:
            result = model.ready(timeout_s)
        finally:
            model.close()
    result["status"] = "ok" if result["model_ready"] else "degraded"
    return result


__all__ = ["OpenAIChat", "classify", "probe_openai"]
