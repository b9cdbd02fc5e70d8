#!/usr/bin/env python3
"""Answers (#13): rrag's own share of an answer, abstention, and a real small model.

Three parts, each a subcommand:

``speed``: rrag's own share of a generative answer (retrieval, passages, prompt, reply
validation, grounding, the HTTP round trip of the real ``ollama`` client) with model time
excluded: the Ollama stand-in (tests/llm/ollama_standin.py) answers instantly, quoting
passage 1. Synthetic stores of 10k and 100k chunks are built as
``bench_retrieval_speed.py`` builds them (hashing embedder); ``ask`` runs on the 200
user-phrased queries (cycled), each twice (first pass, then warm): p50/p95 ms over the
questions answered (an abstention reads no passage), beside search alone on the same
questions right after each ask, and their paired difference (what the answer adds).

``abstain``: the 4,231 redmine.org changelog issues (../shared/data, the titles the
Redmine seeder loads) written into a store the way the sync writes them, indexed with
each embedder; for each query set, how often ``ask`` abstains (the unanswerable set:
should; the labelled sets: should not), how often the extractive answer cites a relevant
issue, and hybrid recall@5 beside it. The threshold was chosen on ``changelog.jsonl`` +
``unanswerable.jsonl`` only; the held-out sets are reported, never tuned on.

``llm``: the same changelog store (MiniLM) with SmolLM2-135M on llama-server
(``LLM_PROVIDER=openai``): end-to-end latency and how often the answer stays generative
or falls back, and why. ``--gguf FILE`` serves another model file instead.

    python benchmarks/bench_answers.py speed [--sizes 10000 100000]
    python benchmarks/bench_answers.py abstain [--dir DIR]
    python benchmarks/bench_answers.py llm [--dir DIR] [--questions 12] [--gguf FILE]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
CORPUS = ROOT.parent / "shared" / "data" / "redmine-changelog-issues.jsonl"
QUERY_DIR = ROOT / "benchmarks" / "queries"
SETS = [
    "changelog",
    "unanswerable",
    "changelog-heldout",
    "changelog-heldout2",
    "changelog-heldout3",
]
EMBEDDERS = ("hashing", "sentence-transformers")


def quote_passage_one(request: dict[str, Any]) -> str:
    """The stand-in's instant reply: passage 1's first sentence, citing passage 1."""
    prompt = request["messages"][-1]["content"]
    block = re.search(r'<passage id="1"[^>]*>\nSubject: (.*?)\n', prompt)
    text = block.group(1) if block else "nothing"
    return json.dumps({"abstain": False, "sentences": [{"text": text, "citations": [1]}]})


def percentiles(took: list[float]) -> tuple[float, float]:
    return float(np.percentile(took, 50)), float(np.percentile(took, 95))


def speed(sizes: list[int]) -> None:
    from bench_retrieval_speed import fill_store, user_queries

    from rrag.index import IndexUpdater
    from rrag.llm import open_answerer
    from rrag.retrieval import Retriever
    from rrag.settings import LLMSettings, OllamaSettings
    from rrag.store.db import open_store
    from tests.index import seed
    from tests.llm.ollama_standin import OllamaStandIn, running

    print(
        "| chunks | answerer | pass | answered | ask p50 / p95 ms | search alone p50 / p95 ms "
        "| ask - search p50 / p95 ms | p95 ratio | generative |"
    )
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|")
    queries = user_queries()
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="rrag-answers-") as tmp:
            settings = seed.hashing_settings(Path(tmp) / "data")
            store = open_store(settings.store.data_dir)
            fill_store(store, size)
            chunks = IndexUpdater(settings, store).drain()["added"]
            retriever = Retriever(settings, store)
            with running(OllamaStandIn(reply=quote_passage_one)) as standin:
                ollama = OllamaSettings(base_url=standin.base_url, timeout_s=30)
                with_llm = settings.model_copy(
                    update={"llm": LLMSettings(provider="ollama"), "ollama": ollama}
                )
                for label, config in (("extractive", settings), ("ollama stand-in", with_llm)):
                    answerer = open_answerer(config, "hashing")
                    # a threshold below any cosine: only a result without a vector hit abstains
                    answerer = type(answerer)(answerer.model, -1.0, answerer.max_tokens)
                    retriever.search(queries[0])  # index load
                    for run in ("first", "warm"):
                        if run == "first" and hasattr(retriever, "term_counts"):
                            retriever.term_counts.clear()  # FTS5-era word counts (before #17)
                        row = timed(retriever, store, answerer, queries)
                        print(f"| {chunks:,} | {label} | {run} | {row} |")
                    answerer.close()
            store.close()


def timed(retriever: Any, store: Any, answerer: Any, queries: list[str]) -> str:
    """ask and search alone, query by query (paired, so machine noise hits both).

    Percentiles over the questions answered: an abstention (no result with a vector
    similarity, about a third of the queries on random text) reads no passage and asks
    no model, so counting it would flatter the answer's share."""
    from rrag.llm import ask
    from rrag.retrieval.caller import Caller

    asked, searched, generative = [], [], 0
    for q in queries:
        started = time.perf_counter()
        body = ask(store, retriever.search, q, 5, Caller.default(), None, answerer)
        ask_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        retriever.search(q, k=5)
        if not body.abstained:
            asked.append(ask_ms)
            searched.append((time.perf_counter() - started) * 1000)
            generative += body.answerer == "ollama"
    (a50, a95), (s50, s95) = percentiles(asked), percentiles(searched)
    # what the answer adds to its own retrieval, query by query (paired: same noise)
    d50, d95 = percentiles([a - s for a, s in zip(asked, searched, strict=True)])
    return (
        f"{len(asked)} | {a50:.1f} / {a95:.1f} | {s50:.1f} / {s95:.1f} | {d50:.1f} / {d95:.1f} "
        f"| {a95 / s95:.2f} | {generative / len(asked):.2f}"
    )


def changelog_store(data_dir: Path, provider: str) -> Any:
    """A store holding the changelog issues, indexed with ``provider`` (reused if built)."""
    from rrag.index import IndexUpdater
    from rrag.settings import EmbeddingSettings
    from rrag.store.db import open_store
    from rrag.sync import writer
    from rrag.sync.normalize import issue_bundle
    from tests.index import seed

    settings = seed.hashing_settings(data_dir).model_copy(
        update={"embedding": EmbeddingSettings(provider=provider)}
    )
    fresh = not (data_dir / "rrag.db").exists()
    store = open_store(data_dir)
    if fresh:
        seed.project(store, 1)
        bundles = [
            issue_bundle(changelog_raw(json.loads(x)), {5}, index_private=False, max_bytes=100_000)
            for x in CORPUS.open()
        ]
        with store.write() as s:
            writer.save_bundles(s, bundles)
    IndexUpdater(settings, store).drain()
    return settings, store


def changelog_raw(item: dict[str, Any]) -> dict[str, Any]:
    """A changelog line as Redmine's API returns its issue: closed, public, no notes."""
    return {
        "id": item["id"],
        "project": {"id": 1},
        "tracker": {"id": 1, "name": item["tracker"]},
        "status": {"id": 5, "name": "Closed"},
        "subject": item["subject"],
        "description": "",
        "is_private": False,
        "updated_on": "2024-01-01T00:00:00Z",
        "closed_on": "2024-01-01T00:00:00Z",
        "category": {"id": 1, "name": item["category"]} if item.get("category") else None,
        "journals": [],
    }


def load_set(name: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (QUERY_DIR / f"{name}.jsonl").read_text().splitlines()]


def abstain(base: Path) -> None:
    from rrag.llm import open_answerer
    from rrag.retrieval import Retriever

    print(
        "| embedder | set | questions | threshold | abstained | cites a relevant issue "
        "| hybrid recall@5 | cites / recall | same, answered only | citations per answer "
        "| p50 / p95 ms |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for provider in EMBEDDERS:
        settings, store = changelog_store(base / f"changelog-{provider}", provider)
        retriever = Retriever(settings, store)
        answerer = open_answerer(settings, retriever.embedder.provider)
        for name in SETS:
            items = load_set(name)
            row = score_set(store, retriever, answerer, items, name != "unanswerable")
            print(f"| {provider} | {name} | {len(items)} | {answerer.abstain_score} {row}")
        store.close()


def score_set(store: Any, retriever: Any, answerer: Any, items: list[Any], labelled: bool) -> str:
    """One set's table cells from "abstained" on: each question asked, then searched."""
    from rrag.llm import ask
    from rrag.retrieval.caller import Caller

    count: Counter[str] = Counter()
    took = []
    for item in items:
        relevant = set(item.get("relevant", []))
        started = time.perf_counter()
        body = ask(store, retriever.search, item["q"], 5, Caller.default(), None, answerer)
        took.append((time.perf_counter() - started) * 1000)
        cites = bool(relevant & {c.issue_id for c in body.citations})
        found = retriever.search(item["q"], k=5).results
        recalled = bool(relevant & {r.issue_id for r in found})
        answered = not body.abstained
        count.update(
            abstained=not answered,
            cites=cites,
            recalled=recalled,
            answered_recalled=answered and recalled,
            citations=len(body.citations) if answered else 0,
        )
    n, p50, p95 = len(items), *percentiles(took)
    per_answer = count["citations"] / max(n - count["abstained"], 1)
    cells = [f"{count['abstained'] / n:.2f}"]
    if labelled:
        cells += [
            f"{count['cites'] / n:.2f}",
            f"{count['recalled'] / n:.2f}",
            f"{count['cites'] / max(count['recalled'], 1):.2f}",
            f"{count['cites'] / max(count['answered_recalled'], 1):.2f}",
        ]
    else:
        cells += ["—"] * 4
    cells += [f"{per_answer:.1f}", f"{p50:.0f} / {p95:.0f}"]
    return "| " + " | ".join(cells) + " |"


def llm(base: Path, questions: int, gguf: Path | None) -> None:
    from rrag.llm import ask, open_answerer
    from rrag.retrieval import Retriever
    from rrag.retrieval.caller import Caller
    from rrag.settings import LLMSettings
    from tests.llm.llama_server import running_llama_server

    settings, store = changelog_store(
        base / "changelog-sentence-transformers", "sentence-transformers"
    )
    items = load_set("changelog")[:questions] + load_set("unanswerable")[: questions // 3]
    with running_llama_server(base / "llama-server.log", gguf=gguf) as server:
        print(f"llama-server: {' '.join(server.command)} (up in {server.startup_s:.1f} s)\n")
        config = LLMSettings(
            provider="openai", base_url=server.base_url, model=server.model, timeout_s=120
        )
        settings = settings.model_copy(update={"llm": config})
        retriever = Retriever(settings, store)
        answerer = open_answerer(settings, retriever.embedder.provider)
        outcomes: Counter[str] = Counter()
        took, dropped = [], 0
        for item in items:
            started = time.perf_counter()
            body = ask(store, retriever.search, item["q"], 5, Caller.default(), None, answerer)
            took.append(time.perf_counter() - started)
            key = "abstained" if body.abstained else body.fallback_reason or "generative"
            outcomes[key] += 1
            dropped += body.guardrails.ungrounded_claim
            print(f"- {took[-1]:.1f} s, {key}: {body.answer[:160]!r}")
        answerer.close()
    p50, p95 = percentiles(took)
    print(f"\n{len(items)} questions; end to end p50 {p50:.1f} s, p95 {p95:.1f} s")
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in outcomes.most_common()))
    print(f"sentences removed as ungrounded: {dropped}")
    store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="part", required=True)
    sub.add_parser("speed").add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    for name in ("abstain", "llm"):
        p = sub.add_parser(name)
        p.add_argument("--dir", type=Path, default=None, help="keep/reuse the stores here")
        if name == "llm":
            p.add_argument("--questions", type=int, default=12)
            p.add_argument("--gguf", type=Path, default=None, help="a GGUF model file to serve")
    args = parser.parse_args()
    if getattr(args, "gguf", None) and not args.gguf.is_file():
        parser.error(f"--gguf {args.gguf}: no such file")
    if args.part == "speed":
        speed(args.sizes)
        return 0
    base = args.dir or Path(tempfile.mkdtemp(prefix="rrag-answers-"))
    base.mkdir(parents=True, exist_ok=True)
    abstain(base) if args.part == "abstain" else llm(base, args.questions, args.gguf)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
