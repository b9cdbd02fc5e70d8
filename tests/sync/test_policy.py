"""The outbound policy's rules: address forms, user-info, and messages naming the settings."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from rrag.errors import OutboundPolicyError
from rrag.sync.client import build_http
from rrag.sync.policy import check_url, is_loopback_host
from tests.conftest import make_settings


def _no_dns(host: str) -> list[str]:
    return []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://[::ffff:169.254.169.254]/", "link-local"),
        ("https://[::ffff:a9fe:a9fe]/", "link-local"),
        ("http://[::ffff:169.254.169.254]/", "link-local"),
        ("https://[fe80::1]/", "link-local"),
        ("https://169.254.169.254/", "link-local"),
        ("https://0.0.0.0/", "unspecified"),
        ("https://[::]/", "unspecified"),
        ("https://[::ffff:0.0.0.0]/", "unspecified"),
    ],
)
def test_forbidden_literals_are_refused_in_every_spelling(url: str, reason: str) -> None:
    with pytest.raises(OutboundPolicyError) as err:
        check_url(url, [], False, _no_dns)
    assert reason in str(err.value) and "REDMINE_BASE_URL" in str(err.value)


@pytest.mark.parametrize(
    "answer", [["::ffff:169.254.169.254"], ["10.0.0.7", "169.254.169.254"], ["0.0.0.0"]]
)
def test_a_name_resolving_to_a_forbidden_address_is_refused(answer: list[str]) -> None:
    with pytest.raises(OutboundPolicyError, match=r"REDMINE_BASE_URL host redmine\.example"):
        check_url("https://redmine.example", [], False, lambda _host: answer)


def test_ipv4_mapped_loopback_is_loopback() -> None:
    assert is_loopback_host("::ffff:127.0.0.1") and is_loopback_host("[::ffff:127.0.0.1]")
    # plain HTTP is fine on loopback, whatever its spelling
    assert check_url("http://[::ffff:127.0.0.1]:3000", [], False, _no_dns) == "::ffff:127.0.0.1"
    assert not is_loopback_host("::ffff:10.0.0.1")


@pytest.mark.parametrize(
    ("url", "allowed", "production", "named"),
    [
        ("https://r.example", [], True, ["REDMINE_ALLOWED_HOSTS", "REDMINE_BASE_URL"]),
        ("https://r.example", ["x.example"], False, ["REDMINE_ALLOWED_HOSTS", "REDMINE_BASE_URL"]),
        ("http://r.example", [], False, ["REDMINE_BASE_URL", "HTTPS is required"]),
        ("https://[fe80::1]", [], False, ["REDMINE_BASE_URL"]),
        ("ftp://r.example", [], False, ["REDMINE_BASE_URL"]),
        ("https://admin:pw-1234@r.example", [], False, ["REDMINE_BASE_URL", "REDMINE_API_KEY"]),
    ],
)
def test_every_refusal_names_the_settings_involved(
    url: str, allowed: list[str], production: bool, named: list[str]
) -> None:
    with pytest.raises(OutboundPolicyError) as err:
        check_url(url, allowed, production, _no_dns)
    for name in named:
        assert name in str(err.value)


def test_custom_setting_names_are_used() -> None:
    with pytest.raises(OutboundPolicyError) as err:
        check_url(
            "https://r.example",
            ["x.example"],
            False,
            _no_dns,
            url_setting="EVAL_BASE_URL",
            hosts_setting="EVAL_HOSTS",
        )
    assert "EVAL_BASE_URL host r.example is not in EVAL_HOSTS" in str(err.value)


def test_user_info_is_refused_and_never_echoed() -> None:
    with pytest.raises(OutboundPolicyError) as err:
        check_url("https://admin:s3cret-pass@redmine.example/x?key=k9", [], False, _no_dns)
    shown = f"{err.value} {err.value.context}"
    assert "s3cret-pass" not in shown and "admin" not in shown and "k9" not in shown
    assert "user-info" in str(err.value)


def test_every_request_is_checked_not_only_the_base_url(tmp_path: Path) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={})

    settings = make_settings(
        tmp_path, base_url="https://10.1.2.3", allowed_hosts=["10.1.2.3", "metadata.test"]
    )
    http = build_http(settings, httpx.MockTransport(handler), resolver=_no_dns)
    assert http.get("/projects.json").status_code == 200
    for url in [
        "https://evil.example/steal",  # not listed
        "http://10.1.2.3/plain",  # listed, but not HTTPS
        "https://[::ffff:169.254.169.254]/latest/meta-data",  # link-local, mapped
    ]:
        with pytest.raises(OutboundPolicyError):
            http.get(url)
    assert seen == ["https://10.1.2.3/projects.json"]
