"""The one error tree of rrag.

Everything rrag raises on purpose derives from :class:`RragError`. Each error carries
structured context (``status``, ``url``, ``job_id`` ...) in ``context`` and a one-line,
secret-free message. The API maps these to HTTP in one place (``rrag.api``), the CLI maps
them to a message and an exit code (``rrag.cli``); nothing else translates them.

::

    RragError
    ├── ConfigError              invalid or missing settings           (CLI exit 2)
    ├── InputError               bad user input (query, k, ids ...)    (HTTP 400/422)
    ├── RedmineError             talking to Redmine failed
    │   ├── OutboundPolicyError  base URL / redirect refused by policy
    │   ├── RedmineHTTPError     an HTTP status we do not retry
    │   │   ├── RedmineAuthError 401 / 403
    │   │   └── RedmineNotFound  404
    │   ├── RedmineTransportError connect/read failures after retries
    │   └── RedmineProtocolError malformed JSON, unexpected shape
    ├── StoreError               the local SQLite store
    ├── JobError                 sync jobs
    │   ├── JobNotFound
    │   └── JobConflict          a running job overlaps
    ├── IndexStateError          missing, corrupt or stale vector index
    ├── EmbeddingError           the embedder (model missing, Ollama unreachable)
    ├── LLMError                 the LLM runtime
    │   ├── LLMUnavailable       refused/dropped after retries, model missing, HTTP error
    │   └── LLMTimeout           no reply within the timeout
    └── OpsError                 backup / restore / maintenance
        └── StoreBusy            a sync, the API or a restore holds the store
"""

from __future__ import annotations

from typing import Any


class RragError(Exception):
    """Root of every error rrag raises on purpose."""

    #: short machine-readable name used in job rows and API error bodies
    type_name = "rrag_error"

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def __str__(self) -> str:
        return self.message


class ConfigError(RragError):
    type_name = "config_error"


class InputError(RragError):
    type_name = "invalid_input"


class RedmineError(RragError):
    type_name = "redmine_error"


class OutboundPolicyError(RedmineError):
    type_name = "outbound_policy"


class RedmineHTTPError(RedmineError):
    type_name = "redmine_http_error"

    @property
    def status(self) -> int | None:
        status = self.context.get("status")
        return int(status) if status is not None else None


class RedmineAuthError(RedmineHTTPError):
    type_name = "redmine_auth"


class RedmineNotFound(RedmineHTTPError):
    type_name = "redmine_not_found"


class RedmineTransportError(RedmineError):
    type_name = "redmine_transport"


class RedmineProtocolError(RedmineError):
    type_name = "redmine_protocol"


class StoreError(RragError):
    type_name = "store_error"


class JobError(RragError):
    type_name = "job_error"


class JobNotFound(JobError):
    type_name = "job_not_found"


class JobConflict(JobError):
    type_name = "job_conflict"


class IndexStateError(RragError):
    type_name = "index_state"


class EmbeddingError(RragError):
    type_name = "embedding_error"


class LLMError(RragError):
    type_name = "llm_error"


class LLMUnavailable(LLMError):
    type_name = "llm_unavailable"


class LLMTimeout(LLMError):
    type_name = "llm_timeout"


class OpsError(RragError):
    type_name = "ops_error"


class StoreBusy(OpsError):
    type_name = "store_busy"


__all__ = [
    "ConfigError",
    "EmbeddingError",
    "IndexStateError",
    "InputError",
    "JobConflict",
    "JobError",
    "JobNotFound",
    "LLMError",
    "LLMTimeout",
    "LLMUnavailable",
    "OpsError",
    "OutboundPolicyError",
    "RedmineAuthError",
    "RedmineError",
    "RedmineHTTPError",
    "RedmineNotFound",
    "RedmineProtocolError",
    "RedmineTransportError",
    "RragError",
    "StoreBusy",
    "StoreError",
]
