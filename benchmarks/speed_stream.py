"""The speed benchmark on a query stream (issue #17): each query once, from a fresh process.

Owns the ``--queries`` mode of ``bench_retrieval_speed.py``. One builder process per size
writes the synthetic store (``bench_retrieval_speed.fill_store``), builds the index with
``IndexUpdater.drain()`` and records the build rate and its peak RSS. Then, for each mode, a
fresh process opens that store and times every query of the stream once, in order, with no
warm-up: the first timed query is the process's first search. A second pass over the same
stream ("repeat") follows in the same process. Modes get a process each, so no mode warms
another's words. Last, the builder rewrites 1% of the chunks (new text for ~1% of the
issues, as a sync that edits them) and times the ``drain()`` that brings the index up to date.

Nothing here imports ``rrag`` at module level: the caller puts the code under test (``--code
-root``) first on ``sys.path`` before any import, so the same script measures two checkouts.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

MODES = ("lexical", "vector", "hybrid")
PASSES = ("stream", "repeat")
UPDATE_FRACTION = 0.01


def read_stream(path: Path) -> list[str]:
    """The ``q`` of each JSON line; a bad line is a one-line error naming it."""
    queries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            queries.append(str(json.loads(line)["q"]))
        except (ValueError, KeyError, TypeError):
            raise SystemExit(f'{path}:{number}: expected {{"q": text}}') from None
    if not queries:
        raise SystemExit(f"{path} has no queries")
    return queries


def percentiles(took: list[float]) -> dict[str, float]:
    p50, p95, p99 = np.percentile(took, [50, 95, 99])
    return {
        "p50": round(float(p50), 2),
        "p95": round(float(p95), 2),
        "p99": round(float(p99), 2),
        "max": round(max(took), 2),
        "first": round(took[0], 2),
    }


def settings_for(data_dir: Path, provider: str) -> Any:
    from rrag.settings import EmbeddingSettings
    from tests.index import seed

    settings = seed.hashing_settings(data_dir)
    return settings.model_copy(update={"embedding": EmbeddingSettings(provider=provider)})


def query_child(data_dir: Path, provider: str, mode: str, stream: Path) -> dict[str, Any]:
    """Times ``stream`` twice in this (fresh) process; the first timed search is its first."""
    from bench_retrieval_speed import peak_rss_watcher

    from rrag.retrieval import Retriever
    from rrag.store.db import open_store

    stop, peak = peak_rss_watcher()
    queries = read_stream(stream)
    settings = settings_for(data_dir, provider)
    store = open_store(settings.store.data_dir)
    retriever = Retriever(settings, store)
    result: dict[str, Any] = {}
    for label in PASSES:
        took = []
        for q in queries:
            started = time.perf_counter()
            retriever.search(q, k=10, mode=mode)
            took.append((time.perf_counter() - started) * 1000)
        result[label] = percentiles(took)
    store.close()
    stop.set()
    result["peak_rss_mb"] = round(peak[0] / 2**20)
    return result


def spawn(script: Path, code_root: Path, *argv: str) -> dict[str, Any]:
    """Runs ``script`` on ``code_root``'s code in a fresh process; its last stdout line."""
    proc = subprocess.run(
        [sys.executable, str(script), "--code-root", str(code_root), *argv],
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv)} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


class Stopwatch:
    """Time spent inside wrapped callables, per bucket; a call made inside another wrapped
    call counts only in the outer one's bucket."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self.depth = 0

    def wrap(self, owner: Any, name: str, bucket: str) -> None:
        """Replace ``owner.name`` (an instance's or a class's callable) when it exists."""
        original = owner.__dict__.get(name) if isinstance(owner, type) else None
        original = original or getattr(owner, name, None)
        if not callable(original):
            return
        self.spent.setdefault(bucket, 0.0)

        def timed(*args: Any, **kwargs: Any) -> Any:
            self.depth += 1
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.depth -= 1
                if self.depth == 0:
                    self.spent[bucket] += time.perf_counter() - started

        setattr(owner, name, timed)


def lexical_stopwatch(watch: Stopwatch, updater: Any) -> None:
    """The tantivy writer's every method and the lexical catch-up (after #17); before #17
    the FTS5 rows are written with the chunk rows, which no wrapper can separate."""
    import importlib

    for module in ("rrag.index.lexsync", "rrag.index.textindex"):  # where #17 put it, by commit
        try:
            writer = importlib.import_module(module).LexicalWriter
            break
        except (ImportError, AttributeError):
            continue
    else:
        return
    for name, value in list(vars(writer).items()):
        if callable(value) and (not name.startswith("__") or name in ("__init__", "__exit__")):
            watch.wrap(writer, name, "lexical")
    watch.wrap(updater, "_catch_up_lexical", "lexical")


def update_one_percent(settings: Any, store: Any, issues: int) -> dict[str, Any]:
    """Rewrites ~1% of the chunks (whole issues, new text) and times the drain, with the
    shares of embedding, saving the vector index and (after #17) the lexical index."""
    from bench_retrieval_speed import Texts, synthetic_issues
    from sqlalchemy import text

    from rrag.index import IndexUpdater

    with store.session() as session:
        chunks = int(session.execute(text("SELECT count(*) FROM chunks")).scalar_one())
    target = max(1, round(chunks * UPDATE_FRACTION))
    synthetic_issues(store, target, Texts(seed=issues + 1), first_id=issues // 3, batch=10)
    updater = IndexUpdater(settings, store)
    watch = Stopwatch()
    watch.wrap(updater, "_embed", "embed")
    watch.wrap(updater, "_save", "vector_save")
    lexical_stopwatch(watch, updater)
    started = time.perf_counter()
    stats = updater.drain()
    total = time.perf_counter() - started
    shares = {f"{k}_s": round(v, 3) for k, v in watch.spent.items()}
    return {
        "chunks_before": chunks,
        "added": stats["added"],
        "removed": stats["removed"],
        "drain_s": round(total, 3),
        **shares,
        "lexical_s": shares.get("lexical_s"),
        "rest_s": round(total - sum(watch.spent.values()), 3),
    }


def builder(
    size: int,
    provider: str,
    stream: Path,
    script: Path,
    code_root: Path,
    private_every: int = 0,
) -> dict[str, Any]:
    """Builds a store of ``size`` chunks (every ``private_every``-th issue private), times
    each mode in a fresh process, then the 1% update; returns the figures and which
    ``rrag`` ran."""
    from bench_retrieval_speed import fill_store, peak_rss_watcher

    import rrag
    from rrag.index import IndexUpdater
    from rrag.store.db import open_store

    stop, peak = peak_rss_watcher()
    with tempfile.TemporaryDirectory(prefix="rrag-stream-") as tmp:
        data_dir = Path(tmp) / "data"
        settings = settings_for(data_dir, provider)
        store = open_store(settings.store.data_dir)
        issues = fill_store(store, size, private_every)
        started = time.perf_counter()
        stats = IndexUpdater(settings, store).drain()
        build_s = time.perf_counter() - started
        build_peak = peak[0]
        child = ["--query-child", str(data_dir), "--provider", provider, "--queries", str(stream)]
        latency = {mode: spawn(script, code_root, *child, "--mode", mode) for mode in MODES}
        update = update_one_percent(settings, store, issues)
        store.close()
    stop.set()
    return {
        "code": str(Path(rrag.__file__).parents[1]),
        "provider": provider,
        "chunks": stats["added"],
        "private_every": private_every,
        "queries": len(read_stream(stream)),
        "build_s": round(build_s, 1),
        "build_rate": round(stats["added"] / build_s),
        "build_peak_rss_mb": round(build_peak / 2**20),
        "builder_peak_rss_mb": round(peak[0] / 2**20),
        "latency": latency,
        "update": update,
    }
