"""Secret masking: every credential format masked, placeholders and hashes left alone."""

from __future__ import annotations

import pytest

from rrag.guardrails.destructive import remove_destructive, unsupported_destructive
from rrag.guardrails.evaluate import leaked
from rrag.guardrails.scan import scan
from rrag.guardrails.secrets import mask_secrets

HEX40 = "9f1c2b7a4e5d6c8b0a1f2e3d4c5b6a7980f1e2d3"
SECRETS = [
    ("aws_access_key", "key AKIAQ3ZC7RL2M9XW4BTE in the log", "AKIAQ3ZC7RL2M9XW4BTE"),
    (
        "google_api_key",
        "maps: AIzaSyD4x9Qm2Lr7Tb1Kc8Vn3Pz6Hw5Jy0Fs1Ge",
        "AIzaSyD4x9Qm2Lr7Tb1Kc8Vn3Pz6Hw5Jy0Fs1Ge",
    ),
    (
        "github_token",
        "GITHUB_TOKEN=ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5",
        "ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5",
    ),
    ("gitlab_token", "deploy with glpat-Zx8Yw7Vu6Ts5Rq4Po3Nm", "glpat-Zx8Yw7Vu6Ts5Rq4Po3Nm"),
    (
        "slack_token",
        "xoxb-12345678901-12345678901-AbCdEfGhIjKlMnOpQrStUvWx",
        "AbCdEfGhIjKlMnOpQrStUvWx",
    ),
    ("stripe_key", "billing: sk_live_4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zdp7dc"),
    (
        "jwt",
        "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "dozjgNryP4J3jVmNHl0w5N",
    ),
    (
        "pem_private_key",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7bq9\n-----END RSA PRIVATE KEY-----",
        "MIIEpAIBAAKCAQEA7bq9",
    ),
    ("url_password", "postgres://redmine:Tr0ub4dor&3@db:5432/redmine", "Tr0ub4dor&3"),
    ("config_password", 'production:\n  adapter: mysql2\n  password: "s3cr#t-Pa55"', "s3cr#t-Pa55"),
    ("config_password", "DB_PASSWORD=hunter2hunter2 rake db:migrate", "hunter2hunter2"),
    ("redmine_api_key", f"curl -H 'X-Redmine-API-Key: {HEX40}' /issues.json", HEX40),
    ("redmine_api_key", f"/issues.json?key={HEX40}", HEX40),
]
NOT_SECRETS = [
    "password: changeme",
    "maps_api_key: YOUR_API_KEY_HERE",
    'password: "********"',
    "password: <redacted>",
    "password: <%= ENV['DB_PASSWORD'] %>",
    "The AWS docs use AKIAIOSFODNN7EXAMPLE as the example key.",
    f"Fixed in commit {HEX40}.",
    "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END PUBLIC KEY-----",
    "https://user@redmine.example.org/login and http://127.0.0.1:3000/",
    "password_min_length: 8",
]


@pytest.mark.parametrize(("rule", "text", "secret"), SECRETS)
def test_each_secret_format_is_masked(rule: str, text: str, secret: str) -> None:
    masked, rules = mask_secrets(text)
    assert rule in rules
    assert not leaked(secret, masked), masked


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_placeholders_and_lookalikes_are_left_alone(text: str) -> None:
    assert mask_secrets(text) == (text, [])


def test_a_secret_split_by_invisible_characters_is_still_masked() -> None:
    result = scan("key AKIA\u200bQ3ZC7RL2M9XW4BTE here", "chunk")
    assert "AKIAQ3ZC7RL2M9XW4BTE" not in result.masked_text.replace("\u200b", "")
    assert result.has("unsafe_content")


def test_destructive_commands_only_when_the_sources_lack_them() -> None:
    answer = "Back up first. Then run rm -rf tmp/cache and DROP TABLE journals. Restart."
    assert unsupported_destructive(answer, ["Steps: rm -rf tmp/cache, restart."]) == ["sql_drop"]
    cleaned, rules = remove_destructive(answer, [])
    assert rules == ["rm_rf", "sql_drop"] and cleaned == "Back up first. Restart."
    assert remove_destructive("Restart Puma.", []) == ("Restart Puma.", [])
