"""SIGKILL a real ``rrag ops restore`` at random points, 30 times.

After every kill the service starts the way the CLI and API do (start-up recovery, then
open the store) and must find one whole pair — the old one or the new one — whose
database and index agree (:func:`rrag.index.check_consistency`). Kills are spread over
the whole run and concentrated right after the swap begins (the journal's log event),
and the test insists that some kills really landed mid-restore.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rrag.cli.context import Context
from rrag.ops import backup
from rrag.ops.swap import pending
from tests.ops.pairs import ENV, make_pair, pair_state


def _start_restore(data_dir: Path, snapshot: str) -> subprocess.Popen[str]:
    env = {**os.environ, **ENV, "RRAG_DATA_DIR": str(data_dir)}
    return subprocess.Popen(
        [sys.executable, "-m", "rrag.cli", "ops", "restore", "--source-dir", snapshot, "--force"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_at(proc: subprocess.Popen[str], rng: random.Random, whole_run_s: float) -> None:
    if rng.random() < 0.3:  # anywhere in the run: start-up, verification, staging, swap
        time.sleep(rng.uniform(0, whole_run_s))
    else:  # right after the swap begins
        assert proc.stderr is not None
        for line in proc.stderr:
            if "restore_swap_begin" in line:
                break
        time.sleep(rng.uniform(0, 0.004))
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)


@pytest.mark.slow
def test_sigkill_during_restore_always_leaves_a_matching_pair(tmp_path: Path) -> None:
    live = make_pair(tmp_path / "live", issues=30, tag="old", generation=1)
    snapshots = {
        30: backup(live, tmp_path / "a")["path"],
        45: backup(
            make_pair(tmp_path / "other", issues=45, tag="new", generation=2), tmp_path / "b"
        )["path"],
    }
    started = time.perf_counter()
    proc = _start_restore(live.store.data_dir, snapshots[45])
    proc.communicate(timeout=60)
    assert proc.returncode == 0
    whole_run_s = time.perf_counter() - started
    rng = random.Random(4242)
    interrupted = 0
    for _ in range(30):
        current = pair_state(live.store.data_dir)["issues"]
        proc = _start_restore(live.store.data_dir, snapshots[75 - current])
        _kill_at(proc, rng, whole_run_s)
        interrupted += pending(live.store.data_dir)
        ctx = Context(live)
        ctx.store  # start-up: recovery, then open  # noqa: B018
        ctx.close()
        state = pair_state(live.store.data_dir)
        assert state["matching"] and state["integrity"] == "ok", state
        assert state["issues"] in (30, 45)
        assert not pending(live.store.data_dir)
    print(f"{interrupted} of 30 kills landed mid-restore")
    assert interrupted >= 3, f"only {interrupted} kills landed mid-restore"
