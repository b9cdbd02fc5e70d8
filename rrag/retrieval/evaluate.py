"""The evaluation harness: recall@k, MRR@k, nDCG@k and latency for each mode.

A query file is JSON lines ``{"q": "...", "relevant": [issue ids]}``. :func:`evaluate`
runs every query through a :class:`~rrag.retrieval.Retriever` (any mode) or any callable
returning ranked issue ids (Redmine's own ``/search.json`` via :func:`redmine_search`),
so notebooks and the CLI share one implementation.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from rrag.errors import InputError, RedmineError
from rrag.retrieval.caller import Caller

Ranker = Callable[[str, int], list[int]]


@dataclass(frozen=True)
class LabelledQuery:
    q: str
    relevant: frozenset[int]


@dataclass
class EvalRow:
    name: str
    queries: int
    recall: float
    mrr: float
    ndcg: float
    p50_ms: float
    p95_ms: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_queries(path: Path) -> list[LabelledQuery]:
    """Read a JSONL query file; a bad line raises InputError naming the line."""
    queries = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read the query file {path}: {exc.strerror}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            queries.append(
                LabelledQuery(str(item["q"]), frozenset(int(i) for i in item["relevant"]))
            )
        except (ValueError, KeyError, TypeError):
            raise InputError(
                f'{path}:{number}: expected {{"q": text, "relevant": [issue ids]}}'
            ) from None
    if not queries:
        raise InputError(f"{path} has no queries")
    return queries


def _metrics(ranked: list[int], relevant: frozenset[int], k: int) -> tuple[float, float, float]:
    top = ranked[:k]
    hits = [i for i, r in enumerate(top) if r in relevant]
    recall = len({top[i] for i in hits}) / len(relevant) if relevant else 0.0
    mrr = 1.0 / (hits[0] + 1) if hits else 0.0
    dcg = sum(1.0 / math.log2(i + 2) for i in hits)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return recall, mrr, (dcg / ideal if ideal else 0.0)


def evaluate(name: str, ranker: Ranker, queries: Sequence[LabelledQuery], k: int = 10) -> EvalRow:
    """Mean recall@k, MRR@k, nDCG@k and latency percentiles of ``ranker`` over ``queries``."""
    scores, took = [], []
    for item in queries:
        started = time.perf_counter()
        ranked = ranker(item.q, k)
        took.append((time.perf_counter() - started) * 1000)
        scores.append(_metrics(ranked, item.relevant, k))
    means = np.mean(np.array(scores), axis=0) if scores else np.zeros(3)
    return EvalRow(
        name,
        len(queries),
        round(float(means[0]), 4),
        round(float(means[1]), 4),
        round(float(means[2]), 4),
        round(float(np.percentile(took, 50)), 2),
        round(float(np.percentile(took, 95)), 2),
    )


def retriever_ranker(retriever: Any, mode: str, caller: Caller | None = None) -> Ranker:
    def rank(q: str, k: int) -> list[int]:
        found = retriever.search(q, k=k, mode=mode, caller=caller).results
        return [r.issue_id for r in found if r.issue_id is not None]

    return rank


def redmine_search(http: httpx.Client) -> Ranker:
    """Redmine's native search (``/search.json?issues=1``) as a ranker (client carries auth)."""

    def rank(q: str, k: int) -> list[int]:
        try:
            response = http.get("/search.json", params={"q": q, "issues": 1, "limit": k})
            response.raise_for_status()
            results = response.json()["results"]
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            raise RedmineError(f"Redmine's /search.json failed: {type(exc).__name__}") from None
        return [int(r["id"]) for r in results if r.get("type", "").startswith("issue")]

    return rank


__all__ = [
    "EvalRow",
    "LabelledQuery",
    "evaluate",
    "load_queries",
    "redmine_search",
    "retriever_ranker",
]
