#!/usr/bin/env python3
"""Does this llama-server binary run this GGUF model on this machine's CPU?

    probe.py BINARY MODEL

Starts the server on a free loopback port, waits for ``/health``, asks for two tokens, and
exits 0 when they come back; 1, with the server's last log lines, when it dies or times
out. A prebuilt binary compiled for newer instructions than the CPU has (AVX-512, AMX)
starts and then dies on SIGILL once the model loads, so the probe has to load it.
Standard library only: it runs before anything is known to work.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

TIMEOUT_S = 90.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ask(url: str, body: dict[str, object] | None = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)  # 503 while the model loads
    except OSError:
        return 0  # not listening yet


def serves(process: subprocess.Popen[bytes], port: int) -> bool:
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if ask(f"{base}/health") == 200:
            # the first computation is where missing instructions show
            reply = ask(f"{base}/completion", {"prompt": "Hello", "n_predict": 2})
            return reply == 200 and process.poll() is None
        time.sleep(0.2)
    return False


def main(binary: str, model: str) -> int:
    port = free_port()
    argv = [binary, "-m", model, "--host", "127.0.0.1", "--port", str(port)]
    argv += ["-c", "512", "--no-webui"]  # a short context: the probe asks for two tokens
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(argv, stdout=sink, stderr=sink)
        try:
            ok = serves(process, port)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if not ok:
            tail = log.read_text(errors="replace").splitlines()[-5:]
            print(
                f"probe: {binary} did not serve {model} (exit {process.returncode})",
                file=sys.stderr,
            )
            print("\n".join(tail), file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: probe.py BINARY MODEL")
    sys.exit(main(sys.argv[1], sys.argv[2]))
