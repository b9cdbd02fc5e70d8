#!/usr/bin/env python3
"""Lexical and hybrid quality at scale: the real titles among 100k chunks.

Writes the 4,231 real redmine.org changelog issues (subject, tracker, category; their own
ids) into a fresh store in a temp dir, adds synthetic distractor issues (the speed
benchmark's generator: words by their real frequency) up to ``--chunks`` chunks, builds the
hashing index, then evaluates benchmarks/queries/changelog.jsonl (73 user-phrased queries,
labelled with redmine.org ids) for lexical and hybrid. On the FTS5 code before #17 each
mode also runs with the common-term policy (``RETRIEVAL_COMMON_TERM_FRACTION``) off (1.0)
and at each ``--fractions``, on the same store, and how many top-10 lists changed is
printed; the tantivy engine has no such setting, so it runs its defaults alone. Queries run
twice per setting; the second pass is timed. Prints a Markdown table.

    python benchmarks/bench_lexical_scale.py [--chunks 100000] [--fractions 0.05 0.1]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
CORPUS = ROOT.parent / "shared" / "data" / "redmine-changelog-issues.jsonl"
QUERY_FILE = ROOT / "benchmarks" / "queries" / "changelog.jsonl"
DISTRACTOR_BASE = 10_000_000


def load_real(store: Any) -> int:
    from rrag.sync import writer
    from rrag.sync.normalize import issue_bundle

    bundles = []
    for line in CORPUS.read_text().splitlines():
        item = json.loads(line)
        raw = {
            "id": item["id"],
            "project": {"id": 1},
            "tracker": {"id": 1, "name": item["tracker"]},
            "status": {"id": 5, "name": "Closed"},
            "subject": item["subject"],
            "description": "",
            "is_private": False,
            "updated_on": "2024-01-01T00:00:00Z",
            "category": {"id": 1, "name": item["category"]} if item.get("category") else None,
            "journals": [],
        }
        bundles.append(issue_bundle(raw, {5}, index_private=False, max_bytes=100_000))
    with store.write() as s:
        writer.save_bundles(s, bundles)
    return len(bundles)


def load_distractors(store: Any, chunks: int) -> None:
    from bench_retrieval_speed import Texts, synthetic_issues

    synthetic_issues(store, chunks, Texts(seed=chunks), first_id=DISTRACTOR_BASE + 1)


def run(args: argparse.Namespace) -> None:
    from rrag.index import IndexUpdater
    from rrag.retrieval import Retriever
    from rrag.retrieval.evaluate import evaluate, load_queries, retriever_ranker
    from rrag.settings import RetrievalSettings
    from rrag.store.db import open_store
    from tests.index import seed

    queries = load_queries(QUERY_FILE)
    with tempfile.TemporaryDirectory(prefix="rrag-lexscale-") as tmp:
        settings = seed.hashing_settings(Path(tmp) / "data")
        store = open_store(settings.store.data_dir)
        seed.project(store, 1)
        real = load_real(store)
        load_distractors(store, args.chunks - real)
        started = time.perf_counter()
        stats = IndexUpdater(settings, store).drain()
        print(
            f"{stats['added']:,} chunks ({real:,} real titles) indexed in "
            f"{time.perf_counter() - started:.0f} s\n"
        )
        print("| mode | common-term fraction | recall@10 | MRR@10 | p50 ms | p95 ms |")
        print("|---|---:|---:|---:|---:|---:|")
        tops: dict[tuple[str, float], list[list[int]]] = {}
        pruning = "common_term_fraction" in RetrievalSettings.model_fields  # gone with #17
        for mode in ("lexical", "hybrid"):
            for fraction in [1.0, *args.fractions] if pruning else [1.0]:
                tuned = settings
                if pruning:
                    retrieval = RetrievalSettings(common_term_fraction=fraction)  # type: ignore[call-arg]
                    tuned = settings.model_copy(update={"retrieval": retrieval})
                retriever = Retriever(tuned, store)
                rank = retriever_ranker(retriever, mode)
                tops[(mode, fraction)] = [rank(q.q, 10) for q in queries]  # warm pass
                row = evaluate(mode, rank, queries, k=10)
                label = ("off (1.0)" if fraction == 1.0 else f"{fraction:g}") if pruning else "—"
                print(
                    f"| {mode} | {label} | {row.recall:.3f} | {row.mrr:.3f} "
                    f"| {row.p50_ms:.1f} | {row.p95_ms:.1f} |"
                )
        store.close()
    print()
    for mode in ("lexical", "hybrid"):
        for fraction in args.fractions if pruning else []:
            same = [a == b for a, b in zip(tops[(mode, 1.0)], tops[(mode, fraction)], strict=True)]
            overlap = [
                len(set(a) & set(b)) / max(1, len(a))
                for a, b in zip(tops[(mode, 1.0)], tops[(mode, fraction)], strict=True)
            ]
            print(
                f"{mode}, fraction {fraction:g}: top 10 identical for {sum(same)}/{len(same)} "
                f"queries, mean overlap {float(np.mean(overlap)):.3f}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.05])
    args = parser.parse_args()
    if not CORPUS.exists():
        raise SystemExit(f"{CORPUS} not found: run from a checkout with ../shared beside it")
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
