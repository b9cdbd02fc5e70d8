#!/usr/bin/env python3
"""Fusion study: candidate fusions and vector layouts on the same captured candidates.

For each labelled query, the lexical and vector candidate lists (``k x
RETRIEVAL_CANDIDATE_MULTIPLIER`` each, glossary-expanded, default caller) are captured
once from a synced data dir, with both retrievers' exact scores for every candidate of
either list (the vector score from the chunk's stored vector, the bm25 from an FTS5 query
restricted to those rows). Every variant then ranks them offline and recall@k / MRR@k /
nDCG@k are computed per issue (chunks grouped by issue, best first, as ``rrag search``
does). Offline means a variant costs milliseconds to try; whatever ships is then confirmed
through ``rrag eval`` (bench_retrieval_quality.py).

Variants: lexical and vector alone, RRF, the blend at several weights (shipped and not),
and the blend over both exact scores of the union ("full"). (Session 4's
``--title-vectors``, a subject-only second vector per issue, shipped in session 5 as the
index's subject slot, so every variant here now has it.)

    python benchmarks/fusion_study.py --data-dir DIR --provider hashing \\
        --queries original=Q1.jsonl --queries heldout=Q2.jsonl [--k 10]

Query files use local issue ids (bench_retrieval_quality.py writes mapped copies into its
instance dir as ``queries-*.jsonl``).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import text

from rrag.index import lexical, termscores
from rrag.index.chunking import SLOT_SHIFT, SLOTS
from rrag.index.vectors import VectorIndex
from rrag.retrieval import fusion
from rrag.retrieval.caller import Caller
from rrag.retrieval.evaluate import LabelledQuery, _metrics, load_queries
from rrag.retrieval.filters import Filters
from rrag.retrieval.retriever import Retriever
from rrag.settings import Settings
from rrag.store.db import Store

Ranked = list[tuple[int, float]]
Record = dict[str, Any]
Variant = Callable[[Record], Ranked]
POOL = 40


def capture(retriever: Retriever, queries: list[LabelledQuery], k: int) -> list[Record]:
    """Each query's candidate lists, both exact scores of their union, and chunk -> issue."""
    state = retriever._current()
    filters = Filters(Caller.default())
    pool = k * retriever.settings.retrieval.candidate_multiplier
    out = []
    with retriever.store.engine.connect() as conn:
        projects = filters.visible_projects(conn)
        where, params = filters.sql(projects)
        for item in queries:
            q = retriever.glossary.expand(item.q)
            qvec = retriever.embedder.embed([q])[0]
            lex = lexical.search(conn, q, pool, where, params, state.terms)
            vec = retriever._vector(state, q, pool, filters, projects)
            union = sorted({i for i, _ in lex + vec})
            vectors = _best_slots(state.vectors, union, qvec)
            bm25 = dict.fromkeys(union, 0.0)
            bm25.update(_bm25(conn, q, union))
            out.append(
                {
                    "q": q,
                    "qvec": qvec,
                    "lex": lex,
                    "vec": vec,
                    "vfull": dict(zip(union, vectors.tolist(), strict=True)),
                    "lfull": bm25,
                    "relevant": item.relevant,
                }
            )
        rows = conn.execute(text("SELECT id, issue_id FROM chunks")).all()
    issue_of = {int(a): int(b) for a, b in rows if b is not None}
    for rec in out:
        rec["issue_of"] = issue_of
    return out


def _best_slots(vectors: VectorIndex, ids: list[int], qvec: np.ndarray) -> np.ndarray:
    """Each chunk's vector score as the index computes it: its best slot."""
    held = set(vectors.ids().tolist())
    out = np.full(len(ids), -np.inf, np.float32)
    for slot in range(SLOTS):
        for n, chunk_id in enumerate(ids):
            vector_id = chunk_id | slot << SLOT_SHIFT
            if vector_id in held:
                out[n] = max(out[n], float(vectors.index.reconstruct(vector_id) @ qvec))
    return out


def _bm25(conn: Any, q: str, ids: list[int]) -> dict[int, float]:
    match = lexical.fts_query(q)
    if match is None or not ids:
        return {}
    rows = conn.execute(
        text(
            f"SELECT rowid, {termscores.BM25} FROM chunks_fts WHERE chunks_fts MATCH :m "
            f"AND rowid IN ({','.join(map(str, ids))})"
        ),
        {"m": match},
    ).all()
    return {int(a): -float(b) for a, b in rows}


def _minmax(scores: dict[int, float]) -> dict[int, float]:
    values = np.array(list(scores.values()))
    low, span = values.min(), values.max() - values.min()
    return {i: (s - low) / span if span > 0 else 1.0 for i, s in scores.items()}


def full_blend(w: float) -> Variant:
    def fuse(rec: Record) -> Ranked:
        lex, vec = _minmax(rec["lfull"]), _minmax(rec["vfull"])
        scores = {i: w * vec[i] + (1 - w) * lex[i] for i in lex}
        return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))

    return fuse


def variants(provider: str) -> dict[str, Variant]:
    shipped = fusion.default_vector_weight(provider)
    out: dict[str, Variant] = {
        "lexical": lambda rec: rec["lex"],
        "vector": lambda rec: rec["vec"],
        "rrf": lambda rec: fusion.rrf([rec["lex"], rec["vec"]], POOL),
    }
    for w in (0.2, 0.3, 0.4, 0.5, 0.7, 0.8, 0.9):
        label = f"blend {w}" + (" (shipped)" if w == shipped else "")
        out[label] = lambda rec, w=w: fusion.blend(rec["lex"], rec["vec"], POOL, w)
        out[f"full blend {w}"] = full_blend(w)
    return out


def score(records: list[Record], variant: Variant, k: int) -> np.ndarray:
    totals = np.zeros(3)
    for rec in records:
        ranked = list(dict.fromkeys(rec["issue_of"][i] for i, _ in variant(rec)))
        totals += _metrics(ranked, rec["relevant"], k)
    return totals / max(1, len(records))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--provider", required=True)
    parser.add_argument("--queries", action="append", required=True, help="NAME=FILE")
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    os.environ.update(RRAG_DATA_DIR=str(args.data_dir), EMBEDDING_PROVIDER=args.provider)
    settings = Settings()
    retriever = Retriever(settings, Store(settings.store.db_path))
    sets = {}
    for spec in args.queries:
        name, _, path = spec.partition("=")
        sets[name] = capture(retriever, load_queries(Path(path)), args.k)
    sizes = {n: len(r) for n, r in sets.items()}
    print(
        "| variant | " + " | ".join(f"{n} ({c}) R / MRR / nDCG" for n, c in sizes.items()), end=""
    )
    print(f" | all ({sum(sizes.values())}) |")
    print("|---|" + "---|" * (len(sets) + 1))
    for label, variant in variants(args.provider).items():
        per = {n: score(recs, variant, args.k) for n, recs in sets.items()}
        per["all"] = sum(per[n] * sizes[n] for n in sizes) / sum(sizes.values())
        cells = ["{:.3f} / {:.3f} / {:.3f}".format(*m) for m in per.values()]
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
