"""The one LLM interface, and the behaviour every backend shares.

A :class:`ChatModel` turns chat messages into one reply constrained by a JSON schema
(``chat_json``) and says whether its runtime is up (``ready``). Two backends implement
it, one module each: :mod:`rrag.llm.ollama_backend` (``LLM_PROVIDER=ollama``, the
official ``ollama`` client) and :mod:`rrag.llm.openai_backend` (``LLM_PROVIDER=openai``,
the official ``openai`` client against any OpenAI-compatible server).

This module owns what both share, so it is written once:

* **the concurrency limit**: at most ``OLLAMA_MAX_CONCURRENCY`` requests in flight per
  process, through one process-wide semaphore that every ChatModel built here shares;
* **bounded retries on connection errors only** (refused, reset, dropped before a
  reply): a timeout is not retried (the runtime is busy, asking again makes it worse) and
  neither is an HTTP error status (the runtime answered; asking again gets the same);
* **the error mapping**: a backend classifies its client's exceptions, this module turns
  them into :class:`~rrag.errors.LLMTimeout` / :class:`~rrag.errors.LLMUnavailable`, so a
  caller handles :class:`~rrag.errors.LLMError` and nothing else (a reply that is not
  JSON, or not a chat response, is LLMUnavailable too).

The timeout and the outbound policy are given to each backend's HTTP client when it is
built (see :func:`build_chat_model`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Literal, Protocol, TypeVar

import httpx

from rrag.errors import LLMTimeout, LLMUnavailable, OutboundPolicyError
from rrag.settings import Settings
from rrag.sync import policy

T = TypeVar("T")

#: retries after the first attempt, on connection errors only
CONNECT_RETRIES = 2
#: wait before retry n (n = 1, 2 ...) is BACKOFF_S * n
BACKOFF_S = 0.25

#: connect: retried; timeout: LLMTimeout at once; broken (a reply the client cannot
#: read: not JSON, not the expected shape): LLMUnavailable at once
Fault = Literal["connect", "timeout", "broken"]


class ChatModel(Protocol):
    """A chat model behind ``LLM_PROVIDER``; every method is safe to call from threads."""

    provider: str  # "ollama" | "openai"
    model: str

    def chat_json(
        self, messages: list[dict[str, str]], schema: dict[str, Any], *, max_tokens: int = 512
    ) -> str:
        """The raw reply text, generated under ``schema`` (the caller still validates it).

        Raises:
            LLMTimeout: no reply within the timeout.
            LLMUnavailable: unreachable after retries, model missing, or an HTTP error.
        """
        ...

    def ready(self) -> dict[str, Any]:
        """``{"provider", "model", "reachable", "model_ready", "latency_ms"[, "error"]}``.

        Never raises; ``error`` is one secret-free line.
        """
        ...

    def close(self) -> None:
        """Close the HTTP connections (the model is not used afterwards)."""
        ...


_SEMAPHORES: dict[int, threading.BoundedSemaphore] = {}
_SEMAPHORES_LOCK = threading.Lock()


def limiter(max_concurrency: int) -> threading.BoundedSemaphore:
    """The process-wide semaphore for this limit (a process has one settings object, so
    one limit and one semaphore; keying by the limit keeps tests with other limits apart)."""
    with _SEMAPHORES_LOCK:
        if max_concurrency not in _SEMAPHORES:
            _SEMAPHORES[max_concurrency] = threading.BoundedSemaphore(max_concurrency)
        return _SEMAPHORES[max_concurrency]


class CallPolicy:
    """Limit, retry and map the faults of one backend's requests."""

    def __init__(
        self,
        *,
        provider: str,
        where: str,
        max_concurrency: int,
        timeout_s: float,
        classify: Callable[[BaseException], Fault | None],
    ) -> None:
        self.provider = provider
        self.where = where  # the runtime's URL without credentials, for messages
        self.timeout_s = timeout_s
        self._slots = limiter(max_concurrency)
        self._classify = classify

    def run(self, call: Callable[[], T]) -> T:
        """``call()`` inside a slot, retried on connection errors, faults mapped."""
        # Waiting for a slot counts against the same timeout: a queue never hangs a caller.
        if not self._slots.acquire(timeout=self.timeout_s):
            raise LLMTimeout(
                f"{self.provider}: no free LLM slot within {self.timeout_s:g}s "
                "(OLLAMA_MAX_CONCURRENCY requests already in flight)",
                provider=self.provider,
            )
        try:
            return self._with_retries(call)
        finally:
            self._slots.release()

    def _with_retries(self, call: Callable[[], T]) -> T:
        for attempt in range(CONNECT_RETRIES + 1):
            try:
                return call()
            except OutboundPolicyError as exc:
                # a request re-checked on its way out (DNS changed since the model was
                # built): to the caller the runtime is simply not there
                raise self.unavailable(exc.message, refused=True) from None
            except Exception as exc:
                fault = self._classify(exc)
                if fault == "timeout":
                    raise self.timeout() from None
                if fault == "broken":
                    raise self.unavailable(f"unreadable reply ({type(exc).__name__})") from None
                if fault != "connect":
                    raise
                if attempt == CONNECT_RETRIES:
                    raise self.unavailable(type(exc).__name__, attempts=attempt + 1) from None
                time.sleep(BACKOFF_S * (attempt + 1))
        raise AssertionError("unreachable")  # the loop returns or raises

    def timeout(self) -> LLMTimeout:
        return LLMTimeout(
            f"{self.provider} at {self.where} did not answer within {self.timeout_s:g}s",
            provider=self.provider,
            url=self.where,
        )

    def unavailable(self, why: str, **context: Any) -> LLMUnavailable:
        return LLMUnavailable(
            f"{self.provider} at {self.where} is unavailable: {why}",
            provider=self.provider,
            url=self.where,
            **context,
        )


def runtime_url(settings: Settings, url_setting: str) -> str:
    """The URL ``url_setting`` (``OLLAMA_BASE_URL`` or ``LLM_BASE_URL``) holds."""
    return settings.ollama.base_url if url_setting == "OLLAMA_BASE_URL" else settings.llm.base_url


def outbound_transport(
    settings: Settings, url_setting: str, inner: httpx.BaseTransport | None = None
) -> httpx.BaseTransport:
    """The httpx transport the outbound policy puts under an LLM client.

    The URL is checked now, so a refused URL fails when the model is built rather than at
    its first request; the transport checks every request again and pins the address.

    Raises:
        OutboundPolicyError: the URL is refused (the message names ``url_setting``).
    """
    policy.check_llm_url(settings, runtime_url(settings, url_setting), url_setting)
    return policy.llm_transport(settings, url_setting, inner)


def elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def build_chat_model(settings: Settings) -> ChatModel | None:
    """The ChatModel for ``LLM_PROVIDER``; ``None`` when it is ``none`` (extractive only).

    Raises:
        OutboundPolicyError: the runtime's URL is refused by the outbound policy.
    """
    if settings.llm.provider == "ollama":
        from rrag.llm.ollama_backend import OllamaChat

        return OllamaChat(settings)
    if settings.llm.provider == "openai":
        from rrag.llm.openai_backend import OpenAIChat

        return OpenAIChat(settings)
    return None


__all__ = [
    "BACKOFF_S",
    "CONNECT_RETRIES",
    "CallPolicy",
    "ChatModel",
    "build_chat_model",
    "elapsed_ms",
    "limiter",
    "outbound_transport",
    "runtime_url",
]
