"""Pinning: the connection goes to the address the policy checked, never to a fresh answer.

DNS is a resolver stub (the policy's injectable resolver); servers are real, on loopback
addresses the system resolver would never give for the names used, so a request that
arrives proves the transport connected to the checked address itself.
"""

from __future__ import annotations

import http.server
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rrag.errors import OutboundPolicyError
from rrag.sync.client import build_http
from rrag.sync.pinning import GuardedTransport
from rrag.sync.policy import redmine_policy, redmine_transport
from tests.conftest import make_settings


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[tuple[str, str]]

    def do_GET(self) -> None:
        self.server.seen.append((self.path, self.headers.get("Host", "")))  # type: ignore[attr-defined]
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


def _serve(address: str, tls: ssl.SSLContext | None = None) -> Iterator[http.server.HTTPServer]:
    server = http.server.ThreadingHTTPServer((address, 0), _Recorder)
    server.seen = []  # type: ignore[attr-defined]
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def server_on_127_0_0_2() -> Iterator[http.server.HTTPServer]:
    yield from _serve("127.0.0.2")


class _Answers:
    """A resolver stub: a scripted DNS answer per lookup (the last one repeats)."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.calls = 0

    def __call__(self, host: str) -> list[str]:
        self.calls += 1
        return self.answers[min(self.calls, len(self.answers)) - 1]


def test_the_request_reaches_the_checked_address_with_its_host_name(
    tmp_path: Path, server_on_127_0_0_2: http.server.HTTPServer
) -> None:
    port = server_on_127_0_0_2.server_address[1]
    # the system resolver sends localhost to 127.0.0.1 / ::1, where nothing listens
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://localhost:{port}/", timeout=2)
    dns = _Answers(["127.0.0.2"], ["169.254.169.254"])
    settings = make_settings(tmp_path, base_url=f"http://localhost:{port}")
    with build_http(settings, resolver=dns) as http:
        for _ in range(3):
            assert http.get("/projects.json").json() == {"ok": True}
    assert server_on_127_0_0_2.seen == [("/projects.json", f"localhost:{port}")] * 3  # type: ignore[attr-defined]
    assert dns.calls == 1  # checked once, pinned: the rebinding answer was never asked for


def test_a_changed_answer_is_checked_again_when_the_pin_expires(
    server_on_127_0_0_2: http.server.HTTPServer,
) -> None:
    port = server_on_127_0_0_2.server_address[1]
    now = [0.0]
    dns = _Answers(["127.0.0.2"], ["::ffff:169.254.169.254"])
    guarded = GuardedTransport(redmine_policy([], False, dns), pin_ttl_s=60, clock=lambda: now[0])
    with httpx.Client(transport=guarded) as http:
        assert http.get(f"http://localhost:{port}/a").status_code == 200
        now[0] = 61.0
        with pytest.raises(OutboundPolicyError, match="link-local"):
            http.get(f"http://localhost:{port}/b")
    assert [path for path, _host in server_on_127_0_0_2.seen] == ["/a"]  # type: ignore[attr-defined]


def test_the_inner_transport_sees_the_address_the_host_header_and_the_tls_name(
    tmp_path: Path,
) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    settings = make_settings(tmp_path, base_url="https://redmine.test:8443")
    dns = _Answers(["10.9.8.7"])
    with build_http(settings, httpx.MockTransport(handler), resolver=dns) as http:
        response = http.get("/issues.json", params={"limit": 1})
    (request,) = sent
    assert str(request.url) == "https://10.9.8.7:8443/issues.json?limit=1"
    assert request.headers["Host"] == "redmine.test:8443"
    assert request.headers["X-Redmine-API-Key"] == "test-key-0000"
    assert request.extensions["sni_hostname"] == "redmine.test"
    assert str(response.request.url).startswith(
        "https://redmine.test:8443/"
    )  # callers see the name


def test_a_name_that_does_not_resolve_is_a_connect_error(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, base_url="https://nowhere.test")
    mock = httpx.MockTransport(lambda r: httpx.Response(200))
    http = build_http(settings, mock, resolver=lambda _host: [])
    with pytest.raises(httpx.ConnectError, match=r"nowhere\.test does not resolve"):
        http.get("/")


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=redmine.test", "-addext", "subjectAltName=DNS:redmine.test"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_tls_to_a_pinned_address_still_checks_the_certificate_name(
    tmp_path: Path, tls_files: tuple[Path, Path]
) -> None:
    cert, key = tls_files
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    trust = ssl.create_default_context(cafile=str(cert))
    for server in _serve("127.0.0.1", server_tls):
        port = server.server_address[1]
        for name, ok in [("redmine.test", True), ("other.test", False)]:
            settings = make_settings(tmp_path, base_url=f"https://{name}:{port}")
            inner = httpx.HTTPTransport(verify=trust)
            transport = redmine_transport(settings, inner, resolver=lambda _h: ["127.0.0.1"])
            with httpx.Client(transport=transport, timeout=5) as http:
                if ok:
                    assert http.get(f"https://{name}:{port}/x").status_code == 200
                else:  # the certificate names redmine.test: the TLS name was kept
                    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                        http.get(f"https://{name}:{port}/x")
        assert server.seen == [("/x", f"redmine.test:{port}")]  # type: ignore[attr-defined]


def test_connect_falls_through_to_the_next_checked_address(
    server_on_127_0_0_2: http.server.HTTPServer,
) -> None:
    port = server_on_127_0_0_2.server_address[1]
    dns = _Answers(["127.0.0.3", "127.0.0.2"])  # nothing listens on 127.0.0.3
    guarded = GuardedTransport(redmine_policy([], False, dns))
    with httpx.Client(transport=guarded) as http:
        assert http.get(f"http://localhost:{port}/z").status_code == 200
    assert server_on_127_0_0_2.seen == [("/z", f"localhost:{port}")]  # type: ignore[attr-defined]
