"""A stand-in for Ollama on loopback speaking its real HTTP API (``/api/version``,
``/api/tags``), with knobs for the faults health must survive: slow, missing model."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class OllamaStandIn:
    models: list[str] = field(default_factory=lambda: ["llama3.1:8b"])
    delay_s: float = 0.0
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, path: str) -> tuple[int, dict[str, object]]:
        if path == "/api/version":
            return 200, {"version": "0.5.7"}
        if path == "/api/tags":
            models = [
                {
                    "name": m,
                    "model": m,
                    "size": 1,
                    "digest": "0" * 64,
                    "modified_at": "2026-01-01T00:00:00Z",
                }
                for m in self.models
            ]
            return 200, {"models": models}
        return 404, {"error": "not found"}


def _handler(standin: OllamaStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(standin.delay_s)
            status, body = standin.answer(self.path)
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the probe gave up waiting: exactly the slow case under test

        def log_message(self, *_args: object) -> None:
            return

    return Handler


@contextmanager
def running(standin: OllamaStandIn) -> Iterator[OllamaStandIn]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(standin))
    server.daemon_threads = True
    standin.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()
