"""Helpers the runbooks call, so notebook cells stay one call plus an assert.

Runbooks take plain parameters (strings, numbers, lists: papermill's types); these turn
them into :class:`~rrag.settings.Settings`, open the store the way the CLI and the API do
(:mod:`rrag.ops.wiring`), and print the summary the papermill tests read back. An empty
``data_dir`` means a fresh temporary store, which is what the committed notebooks use
when nbval runs them offline.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec
from pydantic import SecretStr

from rrag.ops.wiring import DeferredIndexHook, Workbench
from rrag.settings import (
    EmbeddingSettings,
    LLMSettings,
    OllamaSettings,
    RedmineSettings,
    Settings,
    StoreSettings,
)
from rrag.store.db import Store
from rrag.sync.runner import run_new_job

SUMMARY_MARK = "RUNBOOK-SUMMARY "


def read_key_file(path: str) -> str:
    """The API key from a file holding only the key or ``REDMINE_API_KEY=...`` lines."""
    text = Path(path).read_text().strip()
    for line in text.splitlines():
        if line.startswith("REDMINE_API_KEY="):
            return line.split("=", 1)[1].strip().strip("'\"")
    return text


DEMO_PARENT = "rrag-runbook-demos"
DEMO_MAX_AGE_S = 3600


def _temp_root() -> Path:
    """A temp root per demo run ("<data_dir>/../backups" stays inside it).

    Removed at interpreter exit; kernels that are killed (nbval, papermill) skip that, so
    demo roots older than an hour are pruned whenever a new one is made.
    """
    parent = Path(tempfile.gettempdir()) / DEMO_PARENT
    parent.mkdir(exist_ok=True)
    for old in parent.iterdir():
        if time.time() - old.stat().st_mtime > DEMO_MAX_AGE_S:
            shutil.rmtree(old, ignore_errors=True)
    root = Path(tempfile.mkdtemp(dir=parent))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


def runbook_settings(
    data_dir: str = "",
    redmine_base_url: str = "",
    api_key_file: str = "",
    embedding_provider: str = "hashing",
    embedding_dim: int = 256,
    max_concurrency: int = 4,
) -> Settings:
    """Settings from runbook parameters; ``data_dir=""`` makes a temporary data dir."""
    directory = Path(data_dir) if data_dir else _temp_root() / "data"
    redmine: dict[str, Any] = {"max_concurrency": max_concurrency}
    if redmine_base_url:
        redmine["base_url"] = redmine_base_url
    if api_key_file:
        redmine["api_key"] = SecretStr(read_key_file(api_key_file))
    return Settings(
        redmine=RedmineSettings(**redmine),
        store=StoreSettings(data_dir=directory),
        embedding=EmbeddingSettings(
            provider=embedding_provider,
            dim=embedding_dim,
        ),
    )


def ensure_store(settings: Settings) -> Store:
    """Open the store of ``settings`` as the CLI does: restore recovery, create and
    migrate when needed, stale jobs failed (``worker_lost``). The caller closes it."""
    return Workbench(settings).store


def index_hook(settings: Settings, store: Store) -> DeferredIndexHook:
    """The after-sync hook the CLI uses: drain the index queue (embedding ahead)."""
    return DeferredIndexHook(settings, store)


def retry_sync(settings: Settings, store: Store, project_ids: list[int] | None) -> dict[str, Any]:
    """A targeted incremental sync of ``project_ids`` (the incident runbook's retry), as
    a dict: runbooks show it as a mapping."""
    job = run_new_job(
        store, settings, "incremental", project_ids or None, after_sync=index_hook(settings, store)
    )
    return dict(msgspec.to_builtins(job))


def with_llm(settings: Settings, provider: str, base_url: str = "", model: str = "") -> Settings:
    """``settings`` with the LLM runtime a runbook names; ``none`` leaves them as they are.

    ``ollama`` sets ``OLLAMA_BASE_URL``/``OLLAMA_MODEL``, ``openai`` ``LLM_BASE_URL``/
    ``LLM_MODEL``; an empty value keeps the setting's default. Values are validated as
    the environment's would be (the outbound policy still checks the URL when used).
    """
    given = {k: v for k, v in (("base_url", base_url), ("model", model)) if v}
    if provider == "ollama":
        ollama = OllamaSettings.model_validate({**settings.ollama.model_dump(), **given})
        llm = settings.llm.model_copy(update={"provider": "ollama"})
        return settings.model_copy(update={"llm": llm, "ollama": ollama})
    if provider == "openai":
        fields = {**settings.llm.model_dump(), **given, "provider": "openai"}
        return settings.model_copy(update={"llm": LLMSettings.model_validate(fields)})
    return settings


def rerun_extraction(
    settings: Settings, store: Store, project_ids: list[int] | None
) -> dict[str, Any]:
    """Extraction after the LLM runtime recovered (the incident runbook's step): it resumes,
    so ``unchanged`` counts what earlier runs committed and ``extracted`` what this one did."""
    from rrag.extract import run_new_extract_job

    hook = index_hook(settings, store)
    return dict(
        msgspec.to_builtins(run_new_extract_job(store, settings, project_ids or None, after=hook))
    )


def show_summary(**values: Any) -> dict[str, Any]:
    """Print the values a runbook run recorded (papermill tests read this line back)."""
    print(SUMMARY_MARK + json.dumps(values, default=str, sort_keys=True))
    return values


__all__ = [
    "SUMMARY_MARK",
    "ensure_store",
    "index_hook",
    "read_key_file",
    "rerun_extraction",
    "retry_sync",
    "runbook_settings",
    "show_summary",
    "with_llm",
]
