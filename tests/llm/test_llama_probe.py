"""scripts/llama/probe.py, which decides whether the tests need a llama-server built here:
it must pass the binary the suite runs and fail one that dies once the model loads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.llm.llama_server import binary_path, gguf_path

PROBE = Path(__file__).resolve().parents[2] / "scripts" / "llama" / "probe.py"


def probe(binary: Path) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, str(PROBE), str(binary), str(gguf_path())]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def test_the_suites_llama_server_passes_the_probe() -> None:
    result = probe(binary_path())
    assert result.returncode == 0, result.stderr


def test_a_server_killed_by_sigill_fails_the_probe_with_its_log(tmp_path: Path) -> None:
    # what the prebuilt binary does on a CPU without AVX-512: log, then die on SIGILL
    fake = tmp_path / "llama-server"
    fake.write_text("#!/bin/sh\necho 'AMX is not ready to be used!'\nkill -ILL $$\n")
    fake.chmod(0o755)
    result = probe(fake)
    assert result.returncode == 1
    assert "exit -4" in result.stderr
    assert "AMX is not ready" in result.stderr


def test_a_server_that_never_answers_fails_the_probe(tmp_path: Path) -> None:
    fake = tmp_path / "llama-server"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    assert probe(fake).returncode == 1
