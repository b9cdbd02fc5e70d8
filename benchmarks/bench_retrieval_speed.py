#!/usr/bin/env python3
"""Retrieval speed and size on synthetic chunks: build rate, query latency, peak RSS.

Each size runs in its own subprocess (so its peak RSS is its own): it writes synthetic issues
(a subject of 5-12 words, a description of 20-150 words, two or three notes of 8-80 words;
words drawn by their frequency in the real redmine.org titles, plus rare made-up words)
into a fresh store in a temp dir the way the sync does and builds the index with
``IndexUpdater.drain()`` (chunking, lexical index, embedding, FAISS, atomic save).

    python benchmarks/bench_retrieval_speed.py [--queries FILE] [--sizes 10000 100000]
        [--semantic-size 10000] [--code-root DIR]
    python benchmarks/bench_retrieval_speed.py --cycled [--worker-thread] [...]

Default (issue #17): the queries of a JSON-lines file (``{"q": ...}``; default
benchmarks/queries/unseen-stream.jsonl, 500 unique queries none of which warms anything,
made by ``make_unseen_stream.py``) are timed each once, in order, per mode in a fresh
process from its first search on, then once more ("repeat"); the 1% update is timed after
(``speed_stream.py``). Prints one JSON line per size: build rate, peak RSS, per-mode
p50/p95/p99 for the stream and its repeat, the update's drain time.

``--cycled`` is the earlier benchmark: ``Retriever.search`` for each mode on 200 queries
(the user-phrased queries of benchmarks/queries/changelog.jsonl, cycled), run twice per
mode after one warm-up query: ``first`` with the lexical word counts forgotten (FTS5-era
``TermCounts``; a no-op where the retriever has none), ``warm`` the steady state. Prints a
Markdown table. ``--worker-thread`` times them from a worker thread, as an API handler calls
``Retriever.search`` (Litestar runs sync handlers in a thread pool).

``--code-root DIR`` imports ``rrag`` (and the test seeders) from another checkout, e.g. a
``git worktree`` of an older commit, so one script measures both (``compare_lexical.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]


def code_root(argv: list[str]) -> Path:
    """The checkout whose ``rrag`` is measured: ``--code-root DIR`` or this one. Read before
    argparse because it must lead ``sys.path`` before anything imports ``rrag``."""
    if "--code-root" in argv[:-1]:
        return Path(argv[argv.index("--code-root") + 1]).resolve()
    return ROOT


sys.path.insert(0, str(code_root(sys.argv)))
CORPUS = ROOT.parent / "shared" / "data" / "redmine-changelog-issues.jsonl"
QUERY_FILE = ROOT / "benchmarks" / "queries" / "changelog.jsonl"
STREAM_FILE = ROOT / "benchmarks" / "queries" / "unseen-stream.jsonl"
MODES = ("lexical", "vector", "hybrid")
QUERIES = 200


def vocabulary(size: int = 6000) -> tuple[list[str], np.ndarray]:
    """Words with weights: the real title words by their frequency in the 4,231 redmine.org
    titles (stop words included, as in real text), then made-up rare words to ``size``."""
    counts: dict[str, int] = {}
    if CORPUS.exists():
        for line in CORPUS.read_text().splitlines():
            for w in json.loads(line)["subject"].lower().split():
                w = w.strip(".,:;()\"'")
                if w.isalpha():
                    counts[w] = counts.get(w, 0) + 1
    words = sorted(counts, key=lambda w: -counts[w])[:size]
    weights = [float(counts[w]) for w in words]
    rng = np.random.default_rng(7)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    while len(words) < size:
        words.append("".join(rng.choice(letters, rng.integers(4, 11))))
        weights.append(1.0)
    p = np.array(weights)
    return words, p / p.sum()


class Texts:
    """Samples words by their real frequency: bm25 and the hashing IDF see realistic skew."""

    def __init__(self, seed: int) -> None:
        words, self.p = vocabulary()
        self.words = np.array(words)
        self.rng = np.random.default_rng(seed)

    def __call__(self, low: int, high: int) -> str:
        n = int(self.rng.integers(low, high + 1))
        return " ".join(self.rng.choice(self.words, n, p=self.p))


def user_queries() -> list[str]:
    """The quality benchmark's user-phrased queries (benchmarks/queries), cycled."""
    lines = QUERY_FILE.read_text().splitlines()
    return [json.loads(lines[n % len(lines)])["q"] for n in range(QUERIES)]


def synthetic_issues(
    store: Any,
    chunks: int,
    text: Texts,
    first_id: int = 1,
    batch: int = 500,
    private_every: int = 0,
) -> int:
    """Write synthetic issues into project 1, ``batch`` per transaction, until about
    ``chunks`` chunks are queued; every ``private_every``-th issue is private (0: none);
    returns the last issue id."""
    from rrag.sync import writer
    from rrag.sync.normalize import issue_bundle

    made, iid = 0, first_id - 1
    while made < chunks:
        bundles = []
        for _ in range(batch):
            iid += 1
            notes = [{"id": iid * 10 + j, "notes": text(8, 80)} for j in range(iid % 2 + 2)]
            raw = {
                "id": iid,
                "project": {"id": 1},
                "tracker": {"id": 1, "name": "Bug"},
                "status": {"id": 1, "name": "New"},
                "subject": text(5, 12),
                "description": text(20, 150),
                "is_private": bool(private_every) and iid % private_every == 0,
                "updated_on": "2024-01-01T00:00:00Z",
                "journals": [
                    {
                        "created_on": "2024-01-02T00:00:00Z",
                        "user": {"id": 1},
                        "private_notes": False,  # as Redmine sends it (missing: private)
                        **n,
                    }
                    for n in notes
                ],
            }
            bundles.append(
                issue_bundle(raw, {5}, index_private=bool(private_every), max_bytes=100_000)
            )
            made += 1 + len(notes)
        with store.write() as s:
            writer.save_bundles(s, bundles)
    return iid


def fill_store(store: Any, chunks: int, private_every: int = 0) -> int:
    """Write issues until about ``chunks`` chunks are queued (every ``private_every``-th
    issue private, 0: none); returns the issue count."""
    from tests.index import seed

    seed.project(store, 1)
    return synthetic_issues(store, chunks, Texts(seed=chunks), private_every=private_every)


def peak_rss_watcher() -> tuple[threading.Event, list[int]]:
    stop, peak = threading.Event(), [0]
    proc = psutil.Process()

    def watch() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.05)

    threading.Thread(target=watch, daemon=True).start()
    return stop, peak


def timed_queries(retriever: Any, queries: list[str]) -> dict[str, Any]:
    """p50 / p95 ms per mode over ``queries``, after one warm-up query per mode.

    Each mode starts with the lexical word counts forgotten, as in a fresh process, so its
    first pass pays for reading them (``"first"``); a second pass over the same queries
    shows the steady state (``"warm"``).
    """
    latency: dict[str, Any] = {}
    for mode in MODES:
        if hasattr(retriever, "term_counts"):  # the FTS5-era word counts (before #17)
            retriever.term_counts.clear()
        retriever.search(queries[0], mode=mode)  # warm: index load, first-query costs
        for label in ("first", "warm"):
            took = []
            for q in queries:
                t = time.perf_counter()
                retriever.search(q, k=10, mode=mode)
                took.append((time.perf_counter() - t) * 1000)
            p50, p95 = float(np.percentile(took, 50)), float(np.percentile(took, 95))
            latency.setdefault(label, {})[mode] = (p50, p95)
    return latency


def child(size: int, provider: str, worker_thread: bool = False) -> dict[str, Any]:
    from rrag.index import IndexUpdater
    from rrag.retrieval import Retriever
    from rrag.settings import EmbeddingSettings
    from rrag.store.db import open_store
    from tests.index import seed

    stop, peak = peak_rss_watcher()
    with tempfile.TemporaryDirectory(prefix="rrag-speed-") as tmp:
        settings = seed.hashing_settings(Path(tmp) / "data")
        settings = settings.model_copy(update={"embedding": EmbeddingSettings(provider=provider)})
        store = open_store(settings.store.data_dir)
        fill_store(store, size)
        updater = IndexUpdater(settings, store)
        started = time.perf_counter()
        stats = updater.drain()
        build_s = time.perf_counter() - started
        retriever = Retriever(settings, store, embedder=updater.embedder)
        queries = user_queries()
        if worker_thread:
            with ThreadPoolExecutor(1) as pool:
                latency = pool.submit(timed_queries, retriever, queries).result()
        else:
            latency = timed_queries(retriever, queries)
        store.close()
        index_mb = settings.store.index_path.stat().st_size / 2**20
        db_mb = settings.store.db_path.stat().st_size / 2**20
    stop.set()
    return {
        "provider": provider,
        "chunks": stats["added"],
        "build_s": round(build_s, 1),
        "build_rate": round(stats["added"] / build_s),
        "latency": latency,
        "peak_rss_mb": round(peak[0] / 2**20),
        "index_mb": round(index_mb, 1),
        "db_mb": round(db_mb, 1),
    }


def run_child(size: int, provider: str, worker_thread: bool) -> dict[str, Any]:
    flags = ["--provider", provider, "--cycled"] + (["--worker-thread"] if worker_thread else [])
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--code-root",
            str(code_root(sys.argv)),
            "--child",
            str(size),
            *flags,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "RRAG_LOG_LEVEL": "WARNING"},
    )
    if proc.returncode:
        raise SystemExit(f"child {provider} {size} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def cycled_table(runs: list[tuple[str, int]], worker_thread: bool) -> None:
    """The earlier benchmark (``--cycled``): 200 cycled queries, first and warm passes."""
    print(
        "| embedder | chunks | pass | build s | build chunks/s | lexical p50/p95 ms "
        "| vector p50/p95 ms | hybrid p50/p95 ms | peak RSS MB | index MB | db MB |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for provider, size in runs:
        r = run_child(size, provider, worker_thread)
        for label in ("first", "warm"):
            lat = r["latency"][label]
            times = " | ".join(f"{lat[m][0]:.1f} / {lat[m][1]:.1f}" for m in MODES)
            print(
                f"| {provider} | {r['chunks']:,} | {label} | {r['build_s']} "
                f"| {r['build_rate']:,} | {times} "
                f"| {r['peak_rss_mb']} | {r['index_mb']} | {r['db_mb']} |",
                flush=True,
            )
    where = "a worker thread" if worker_thread else "the main thread"
    load = os.getloadavg()[0]
    print(f"\nqueries from {where}; {os.cpu_count()} cores; load average {load:.1f} at the end")


def stream_runs(runs: list[tuple[str, int]], queries: Path, private_every: int = 0) -> None:
    """One JSON line per run: the stream of ``queries`` timed from fresh processes."""
    from speed_stream import spawn

    for provider, size in runs:
        flags = ["--stream-child", str(size), "--provider", provider, "--queries", str(queries)]
        flags += ["--private-every", str(private_every)]
        result = spawn(Path(__file__), code_root(sys.argv), *flags)
        result["load_average"] = round(os.getloadavg()[0], 1)
        print(json.dumps(result), flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--semantic-size", type=int, default=10_000, help="0 to skip")
    parser.add_argument("--queries", type=Path, default=STREAM_FILE, help="JSON lines {q}")
    parser.add_argument("--cycled", action="store_true", help="the earlier 200 cycled queries")
    parser.add_argument("--worker-thread", action="store_true", help="query from a worker thread")
    parser.add_argument("--code-root", type=Path, default=ROOT, help="checkout to measure")
    parser.add_argument(
        "--private-every",
        type=int,
        default=0,
        help="make every Nth issue private (queries run as the default caller, who may not "
        "see them); 0: none",
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--stream-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--query-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--provider", default="hashing", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.provider, args.worker_thread)))
        return 0
    import speed_stream

    if args.query_child:
        result = speed_stream.query_child(args.query_child, args.provider, args.mode, args.queries)
        print(json.dumps(result))
        return 0
    if args.stream_child:
        result = speed_stream.builder(
            args.stream_child,
            args.provider,
            args.queries,
            Path(__file__),
            args.code_root,
            args.private_every,
        )
        print(json.dumps(result))
        return 0
    if not args.queries.is_file():
        raise SystemExit(f"{args.queries}: no such query file")
    runs = [("hashing", s) for s in args.sizes]
    if args.semantic_size:
        runs.append(("sentence-transformers", args.semantic_size))
    if args.cycled:
        cycled_table(runs, args.worker_thread)
    else:
        stream_runs(runs, args.queries.resolve(), args.private_every)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
