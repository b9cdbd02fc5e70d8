"""Settings: exact env names, one-line errors with exit 2, documented in docs/settings.md."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rrag.errors import ConfigError
from rrag.settings import env_names, load_settings

ROOT = Path(__file__).resolve().parents[1]
RUNBOOK_NAMES = {
    "REDMINE_BASE_URL",
    "REDMINE_API_KEY",
    "REDMINE_ALLOWED_HOSTS",
    "REDMINE_HTTP_TIMEOUT_S",
    "REDMINE_MAX_CONCURRENCY",
    "RRAG_DATA_DIR",
    "APP_ENV",
    "RRAG_INDEX_PRIVATE",
    "EMBEDDING_PROVIDER",
    "EMBEDDING_DIM",
    "RETRIEVAL_CANDIDATE_MULTIPLIER",
    "LLM_PROVIDER",
    "OLLAMA_BASE_URL",
    "OLLAMA_MODEL",
    "OLLAMA_TIMEOUT_S",
    "OLLAMA_MAX_CONCURRENCY",
    "LLM_EXTRACT_BATCH_SIZE",
}


def test_runbook_names_exist() -> None:
    assert set(env_names()) >= RUNBOOK_NAMES


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in env_names():
        monkeypatch.delenv(name, raising=False)
    s = load_settings()
    assert s.redmine.http_timeout_s == 30
    assert s.redmine.max_concurrency == 4
    assert str(s.store.data_dir) == "data"
    assert s.store.index_private is False
    assert s.app_env == "development"


def test_comma_list_and_bool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDMINE_ALLOWED_HOSTS", "a.example, b.example")
    monkeypatch.setenv("RRAG_INDEX_PRIVATE", "true")
    s = load_settings()
    assert s.redmine.allowed_hosts == ["a.example", "b.example"]
    assert s.store.index_private is True


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REDMINE_MAX_CONCURRENCY", "lots"),
        ("APP_ENV", "staging"),
        ("EMBEDDING_PROVIDER", "magic"),
        ("REDMINE_HTTP_TIMEOUT_S", "-1"),
    ],
)
def test_invalid_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert name in str(err.value)


def test_cli_exits_2_with_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "REDMINE_MAX_CONCURRENCY": "0", "RRAG_DATA_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-m", "rrag.cli", "jobs"], env=env, capture_output=True, text=True
    )
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert "REDMINE_MAX_CONCURRENCY" in out.stderr
    assert "Traceback" not in out.stderr


BASE_URLS = [name for name in env_names() if name.endswith("_BASE_URL")]


def test_every_base_url_setting_is_checked() -> None:
    assert {"REDMINE_BASE_URL", "OLLAMA_BASE_URL"} <= set(BASE_URLS)


@pytest.mark.parametrize("name", BASE_URLS)
@pytest.mark.parametrize("userinfo", ["admin:pw-5e3c9a1f@", "pw-5e3c9a1f@", ":pw-5e3c9a1f@"])
def test_user_info_in_any_base_url_is_refused_without_echo(
    monkeypatch: pytest.MonkeyPatch, name: str, userinfo: str
) -> None:
    monkeypatch.setenv(name, f"https://{userinfo}host.example:8443/sub")
    with pytest.raises(ConfigError) as err:
        load_settings()
    message = str(err.value)
    assert name in message and "user-info" in message
    assert ("LLM_API_KEY" if name != "REDMINE_BASE_URL" else "REDMINE_API_KEY") in message
    assert "pw-5e3c9a1f" not in message and "admin" not in message
    assert "\n" not in message


def test_settings_built_in_code_refuse_user_info_too() -> None:
    # chunk URLs are built from settings.redmine.base_url: no Settings object can hold one
    from pydantic import ValidationError

    from rrag.settings import RedmineSettings

    with pytest.raises(ValidationError):
        RedmineSettings(base_url="https://u:p@redmine.example")


def test_cli_refuses_a_password_in_the_redmine_url(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "REDMINE_BASE_URL": "https://admin:pw-0c4d2b9e@redmine.example",
        "RRAG_DATA_DIR": str(tmp_path / "data"),
    }
    out = subprocess.run(
        [sys.executable, "-m", "rrag.cli", "sync"], env=env, capture_output=True, text=True
    )
    assert out.returncode == 2
    assert "REDMINE_BASE_URL" in out.stderr and "REDMINE_API_KEY" in out.stderr
    assert out.stderr.strip().count("\n") == 0 and "Traceback" not in out.stderr
    assert "pw-0c4d2b9e" not in out.stdout + out.stderr
    assert not (tmp_path / "data").exists()


def test_llm_allowed_hosts_is_a_comma_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_ALLOWED_HOSTS", " gpu.example ,llm.example,")
    assert load_settings().llm.allowed_hosts == ["gpu.example", "llm.example"]
    monkeypatch.delenv("LLM_ALLOWED_HOSTS")
    assert load_settings().llm.allowed_hosts == []


def test_every_setting_is_documented_in_the_settings_doc() -> None:
    doc = (ROOT / "docs" / "settings.md").read_text()
    missing = [name for name in env_names() if f"| `{name}` |" not in doc]
    assert not missing, f"docs/settings.md does not document {missing}"


def test_every_setting_is_read_by_code() -> None:
    # a setting no code reads is a promise in docs/settings.md that nothing keeps
    from rrag.settings import Settings

    code = "".join(
        path.read_text() for path in (ROOT / "rrag").rglob("*.py") if path.name != "settings.py"
    )
    read = {name for name in re.findall(r"\.(\w+)\b", code)}
    unread = [
        f"{group_name}.{name}"
        for group_name, group in Settings.model_fields.items()
        for name in getattr(group.annotation, "model_fields", {})
        if name not in read
    ]
    assert not unread, f"settings no code reads: {unread}"
    assert "is_production" in read  # how APP_ENV is read


def test_secrets_are_the_bare_key_and_tokens() -> None:
    from rrag.settings import ApiSettings, RedmineSettings, Settings

    s = Settings(
        redmine=RedmineSettings(api_key="k" * 20),
        api=ApiSettings(tokens="tok-aaaaaaaaaaaaaaaa:projects=1|2:private,tok-bbbbbbbbbbbbbbbb"),
    )
    assert set(s.secrets()) == {"k" * 20, "tok-aaaaaaaaaaaaaaaa", "tok-bbbbbbbbbbbbbbbb"}
