#!/usr/bin/env python3
"""Retrieval with and without extracted chunks (#14), on the labelled changelog sets.

Extracting all 4,231 changelog issues with SmolLM2-135M takes about 9 hours on two cores,
so this runs on a sub-corpus in which *every* issue is extracted: each issue a labelled
query marks relevant (212) plus ``--distractors`` others drawn at random with a fixed
seed. Extracting only part of a corpus would favour whichever issues got an extraction;
here both sides index exactly the same issues and differ only by the extraction chunks.
The distractors are fewer than in the full corpus, so absolute figures run higher than
``bench_retrieval_quality.py``'s; the difference between the two sides is the measure.

1. The issues are written into a store the way the sync writes them (closed, public, no
   notes: the changelog holds titles, trackers and categories only).
2. ``without``: a copy of that store is indexed with each embedder and evaluated
   (``rrag.retrieval.evaluate``, recall/MRR/nDCG@10, every labelled set, three modes).
3. ``rrag extract``'s job runs over the store with ``LLM_PROVIDER=openai`` against
   llama-server + SmolLM2 (tests/llm/llama_server.py); it resumes where it stopped when
   ``--dir`` is given again.
4. ``with``: a copy of the extracted store, indexed and evaluated the same way.

    python benchmarks/bench_extract_retrieval.py --dir DIR [--distractors 388]

Prints the extraction's counters and time, a sample record, and one Markdown table.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_answers import CORPUS, QUERY_DIR, changelog_raw  # noqa: E402

SETS = ["changelog", "changelog-heldout", "changelog-heldout2", "changelog-heldout3"]
MODES = ("lexical", "vector", "hybrid")
SEED = 14


def labelled(name: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (QUERY_DIR / f"{name}.jsonl").read_text().splitlines()]


def sub_corpus(distractors: int) -> list[dict[str, Any]]:
    """Every relevant issue of the labelled sets plus ``distractors`` drawn at random."""
    corpus = [json.loads(x) for x in CORPUS.read_text().splitlines()]
    relevant = {i for name in SETS for item in labelled(name) for i in item["relevant"]}
    others = sorted(item["id"] for item in corpus if item["id"] not in relevant)
    chosen = relevant | set(random.Random(SEED).sample(others, distractors))
    return [item for item in corpus if item["id"] in chosen]


def seed_store(data_dir: Path, issues: list[dict[str, Any]]) -> None:
    from rrag.store.db import open_store
    from rrag.sync import writer
    from rrag.sync.normalize import issue_bundle
    from tests.index import seed

    store = open_store(data_dir)
    seed.project(store, 1)
    bundles = [
        issue_bundle(changelog_raw(i), {5}, index_private=False, max_bytes=100_000) for i in issues
    ]
    with store.write() as session:
        writer.save_bundles(session, bundles)
    store.close()


def copy_store(src: Path, dst: Path, *, extractions: bool) -> None:
    """A copy of the store at ``src``; without its extractions unless ``extractions``
    (a resumed run's store already holds them)."""
    dst.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(src / "rrag.db") as a, sqlite3.connect(dst / "rrag.db") as b:
        a.backup(b)
        if not extractions:
            b.execute("DELETE FROM extractions")


def evaluate_store(data_dir: Path, provider: str) -> dict[tuple[str, str], Any]:
    """Index ``data_dir`` with ``provider`` and evaluate every set in every mode."""
    from rrag.index import IndexUpdater
    from rrag.retrieval import Retriever
    from rrag.retrieval.evaluate import LabelledQuery, evaluate, retriever_ranker
    from rrag.settings import EmbeddingSettings
    from rrag.store.db import open_store
    from tests.index import seed

    settings = seed.hashing_settings(data_dir).model_copy(
        update={"embedding": EmbeddingSettings(provider=provider)}
    )
    store = open_store(data_dir)
    IndexUpdater(settings, store).drain()
    retriever = Retriever(settings, store)
    rows = {}
    for name in SETS:
        queries = [LabelledQuery(i["q"], frozenset(i["relevant"])) for i in labelled(name)]
        for mode in MODES:
            ranker = retriever_ranker(retriever, mode)
            ranker("warm up", 10)
            rows[name, mode] = evaluate(mode, ranker, queries, 10)
    store.close()
    return rows


def extract(data_dir: Path, log: Path, batch: int, concurrency: int) -> None:
    from rrag.extract import run_new_extract_job
    from rrag.settings import LLMSettings, OllamaSettings
    from rrag.store.db import open_store
    from tests.index import seed
    from tests.llm.llama_server import running_llama_server

    store = open_store(data_dir)
    # an extraction takes up to ~1,100 tokens of the context its slots share
    with running_llama_server(log, context=2048 * max(concurrency, 2)) as server:
        print(f"llama-server: {' '.join(server.command)} (up in {server.startup_s:.1f} s)")
        settings = seed.hashing_settings(data_dir).model_copy(
            update={
                "llm": LLMSettings(
                    provider="openai",
                    base_url=server.base_url,
                    model=server.model,
                    timeout_s=120,
                    extract_batch_size=batch,
                ),
                "ollama": OllamaSettings(max_concurrency=concurrency),
            }
        )
        started = time.perf_counter()
        job = run_new_extract_job(store, settings, None)
        took = time.perf_counter() - started
    print(f"extract job {job.status} in {took:.0f} s: {json.dumps(job.counters)}")
    describe_extractions(store)
    store.close()


def describe_extractions(store: Any) -> None:
    from sqlalchemy import text

    with store.session() as session:
        rows = session.execute(text("SELECT status, fields, ungrounded FROM extractions")).all()
    ok = [json.loads(r.fields) for r in rows if r.status == "ok"]
    filled = sum(sum(1 for v in f.values() if v) for f in ok)
    print(
        f"records: {len(rows)}, extracted {len(ok)}, failed {len(rows) - len(ok)}; "
        f"non-empty fields per record {filled / max(len(ok), 1):.1f}; "
        f"values dropped as ungrounded {sum(r.ungrounded for r in rows)}"
    )
    if ok:
        print(f"sample: {json.dumps(ok[0], ensure_ascii=False)[:600]}")


def providers() -> list[str]:
    from rrag.index.embedders import semantic_available
    from rrag.settings import EmbeddingSettings

    return ["hashing"] + (
        ["sentence-transformers"] if semantic_available(EmbeddingSettings().model) else []
    )


def table(without: dict[str, Any], with_: dict[str, Any]) -> None:
    print("\n| embedder | set | mode | recall@10 without → with | MRR@10 | nDCG@10 |")
    print("|---|---|---|---|---|---|")
    for provider in without:
        for (name, mode), a in without[provider].items():
            b = with_[provider][name, mode]
            cells = [
                f"{x:.3f} → {y:.3f}"
                for x, y in ((a.recall, b.recall), (a.mrr, b.mrr), (a.ndcg, b.ndcg))
            ]
            print(f"| {provider} | {name} ({a.queries}) | {mode} | " + " | ".join(cells) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, help="working dir; given again, the run resumes")
    parser.add_argument("--distractors", type=int, default=388)
    parser.add_argument("--batch", type=int, default=20, help="LLM_EXTRACT_BATCH_SIZE")
    parser.add_argument("--concurrency", type=int, default=2, help="OLLAMA_MAX_CONCURRENCY")
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="rrag-extract-retrieval-"))
    base = work / "base"
    if not (base / "rrag.db").exists():
        issues = sub_corpus(args.distractors)
        seed_store(base, issues)
        print(f"sub-corpus: {len(issues)} issues ({args.distractors} distractors, seed {SEED})")
    without = {}
    for provider in providers():
        copy_store(base, work / f"without-{provider}", extractions=False)
        without[provider] = evaluate_store(work / f"without-{provider}", provider)
    extract(base, work / "llama-server.log", args.batch, args.concurrency)
    with_ = {}
    for provider in without:
        copy_store(base, work / f"with-{provider}", extractions=True)
        with_[provider] = evaluate_store(work / f"with-{provider}", provider)
    table(without, with_)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
