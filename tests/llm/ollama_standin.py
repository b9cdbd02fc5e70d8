"""A stand-in for Ollama on loopback speaking its real HTTP API: ``/api/version``,
``/api/tags`` and non-streaming ``/api/chat`` (the reply shape Ollama returns).

Per-test knobs: ``reply`` scripts the assistant's message content from the request,
``delay_s`` slows every request, ``drop`` drops the next N chat connections without a
reply, ``chat_status`` answers chat with an HTTP error, ``raw_chat`` answers it 200 with
these bytes (not Ollama's shape), ``models`` lists what is
"pulled" (a chat for any other model gets Ollama's 404). Measured on the server side:
``chat_calls``, ``max_in_flight`` (chat requests being handled at once) and ``received``
(every chat request body).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[dict[str, Any]], str]


def empty_object(_request: dict[str, Any]) -> str:
    return "{}"


@dataclass
class OllamaStandIn:
    models: list[str] = field(default_factory=lambda: ["llama3.1:8b"])
    delay_s: float = 0.0
    reply: Reply = empty_object
    drop: int = 0
    chat_status: int = 200
    raw_chat: bytes | None = None
    port: int = 0
    chat_calls: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

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

    def chat(self, request: dict[str, Any]) -> tuple[int, dict[str, object]]:
        """Ollama's answer to a non-streaming ``POST /api/chat``."""
        model = str(request.get("model", ""))
        if model not in self.models and f"{model}:latest" not in self.models:
            return 404, {"error": f'model "{model}" not found, try pulling it first'}
        if self.chat_status != 200:
            return self.chat_status, {"error": "stand-in failure"}
        content = self.reply(request)
        return 200, {
            "model": model,
            "created_at": "2026-01-01T00:00:00.000000Z",
            "message": {"role": "assistant", "content": content},
            "done_reason": "stop",
            "done": True,
            "total_duration": 1_000_000,
            "load_duration": 10_000,
            "prompt_eval_count": 26,
            "prompt_eval_duration": 100_000,
            "eval_count": max(1, len(content) // 4),
            "eval_duration": 800_000,
        }

    def enter_chat(self, request: dict[str, Any]) -> bool:
        """Count a chat request in; False when this one is to be dropped."""
        with self.lock:
            self.chat_calls += 1
            self.received.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if self.drop > 0:
                self.drop -= 1
                return False
            return True

    def leave_chat(self) -> None:
        with self.lock:
            self.in_flight -= 1


def _handler(standin: OllamaStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(standin.delay_s)
            self._send(*standin.answer(self.path))

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path != "/api/chat":
                self._send(404, {"error": "not found"})
                return
            request = json.loads(body or b"{}")
            keep = standin.enter_chat(request)
            try:
                time.sleep(standin.delay_s)
                if keep and standin.raw_chat is not None:
                    self._send_bytes(200, standin.raw_chat)
                elif keep:
                    self._send(*standin.chat(request))
                else:
                    self.close_connection = True  # no status line at all: a dropped reply
            finally:
                standin.leave_chat()

        def _send(self, status: int, body: dict[str, object]) -> None:
            self._send_bytes(status, json.dumps(body).encode())

        def _send_bytes(self, status: int, data: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting: exactly the slow case under test

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
