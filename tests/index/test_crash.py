"""SIGKILL while the indexes are being written: each loads whole, never ahead of the store,
and the next drain repairs them (the lexical one by chunk ids and digests)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rrag.index import IndexUpdater, check_consistency
from rrag.index.textindex import LexicalIndex, lexical_dir
from rrag.index.vectors import load
from rrag.store.db import open_store
from tests.index import seed

CHILD = """
import random, sys
from pathlib import Path
from rrag.index import IndexUpdater
from rrag.store.db import open_store
from tests.index import seed
settings = seed.hashing_settings(Path(sys.argv[1]), dim=4096)
store = open_store(settings.store.data_dir)
updater = IndexUpdater(settings, store)
print("ready", flush=True)
n = 0
while True:
    n += 1
    for i in random.sample(range(1, 400), 3):
        seed.issue(store, i, f"edited subject {n} {i}", "body " * (n % 7), project_id=1)
    seed.delete_issue(store, random.randrange(1, 400))
    updater.drain()
"""


@pytest.mark.slow
def test_sigkill_during_saves_never_tears_the_index(tmp_path: Path) -> None:
    data = tmp_path / "data"
    # wide vectors make each save take long enough for kills to land inside it
    settings = seed.hashing_settings(data, dim=4096)
    store = open_store(data)
    seed.project(store, 1)
    for i in range(1, 400):
        seed.issue(store, i, f"subject {i}", "description " * 30, project_id=1)
    IndexUpdater(settings, store).drain()
    root = Path(__file__).resolve().parents[2]
    rng = random.Random(7)
    gaps = 0
    for _ in range(20):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(data)], cwd=root, stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.6))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
        vectors = load(settings.store.index_path)
        assert vectors.count == vectors.manifest.count  # whole: trailer matches the body
        report = check_consistency(settings, store)
        assert report["index_generation"] <= report["store_generation"]
        lexical = LexicalIndex(lexical_dir(data))  # opens: a commit is whole or absent
        assert lexical.generation() == report["lexical_generation"]
        assert report["lexical_generation"] <= report["store_generation"]
        gaps += not report["ok"]
        IndexUpdater(settings, store).drain()
        assert check_consistency(settings, store)["ok"]
    print(f"kills that left a gap to repair: {gaps}/20")
    store.close()
