#!/usr/bin/env python3
"""Retrieval quality on real Redmine issue titles vs Redmine's own search.

Starts a throwaway Redmine (scripts/redmine/redmine.sh), bulk-loads the 4,231 redmine.org
changelog issues from ../shared/data (never copied into the repo), syncs it once with
``rrag sync`` (hashing index built by the after-sync hook), rebuilds the index with each other
available embedder on a copy of the store (``rrag index --rebuild``), and runs ``rrag eval``
on each query set (relevant redmine.org ids mapped to local ids through the seeder's mapping
file): benchmarks/queries/changelog.jsonl (73 queries, session 2), changelog-heldout.jsonl
(33 queries on randomly drawn issues, written in session 3 after the Redmine glossary was
fixed, so the glossary was never tuned on them), changelog-heldout2.jsonl (43 queries on
issues drawn at random in session 4, written before the query-aware fusion was built or
any system ran on them), changelog-heldout3.jsonl (50 queries on issues drawn at random in
session 6, written blind by a helper that ran no search system, committed before anything
ran on them) and all together. Prints Markdown tables:
quality per embedder and mode with Redmine's /search.json, per set; hybrid with the glossary
off and on; then (with --fusions) hybrid under each fusion setting.

    python benchmarks/bench_retrieval_quality.py [--fusions] [--instance DIR] [--keep]

--instance DIR reuses (or creates) an instance there; a seeded one is not seeded again.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
REDMINE_SH = ROOT / "scripts" / "redmine" / "redmine.sh"
SEED_PY = ROOT / "scripts" / "redmine" / "seed.py"
CORPUS = ROOT.parent / "shared" / "data" / "redmine-changelog-issues.jsonl"
QUERIES = ROOT / "benchmarks" / "queries" / "changelog.jsonl"
HELDOUT = ROOT / "benchmarks" / "queries" / "changelog-heldout.jsonl"
HELDOUT2 = ROOT / "benchmarks" / "queries" / "changelog-heldout2.jsonl"
HELDOUT3 = ROOT / "benchmarks" / "queries" / "changelog-heldout3.jsonl"
QUERY_SETS = {
    "original": [QUERIES],
    "held-out": [HELDOUT],
    "held-out-2": [HELDOUT2],
    "held-out-3": [HELDOUT3],
    "all": [QUERIES, HELDOUT, HELDOUT2, HELDOUT3],
}
MODES = ("lexical", "vector", "hybrid")
FUSIONS = [
    ("blend, weight by embedder (default)", {}),
    ("rrf", {"RETRIEVAL_FUSION": "rrf"}),
    *[
        (f"blend w={w}", {"RETRIEVAL_FUSION": "blend", "RETRIEVAL_VECTOR_WEIGHT": str(w)})
        for w in (0.3, 0.5, 0.7, 0.9)
    ],
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def read_env(path: Path) -> dict[str, str]:
    pairs = (line.partition("=") for line in path.read_text().splitlines() if "=" in line)
    return {k.strip(): v.strip().strip("'\"") for k, _, v in pairs}


def ensure_redmine(instance: Path, journals: int) -> dict[str, str]:
    """Start (and seed once) the instance; returns its env (base URL, API key)."""
    env_file = instance / "env"
    status = subprocess.run([str(REDMINE_SH), "status", str(instance)], capture_output=True)
    if not env_file.exists() or status.returncode != 0:
        subprocess.run([str(REDMINE_SH), "start", str(instance), str(free_port())], check=True)
    mapping = instance / "mapping.json"
    if not mapping.exists():
        seed = [sys.executable, str(SEED_PY), "bulk", "--dir", str(instance)]
        seed += ["--from-jsonl", str(CORPUS), "--journals-per-issue", str(journals)]
        subprocess.run([*seed, "--mapping", str(mapping)], check=True, stdout=subprocess.DEVNULL)
    return read_env(env_file)


def mapped_queries(mapping_path: Path, sources: list[Path], out: Path) -> int:
    """Write the query files as one, with redmine.org ids replaced by local issue ids."""
    mapping = {int(k): int(v) for k, v in json.loads(mapping_path.read_text()).items()}
    lines = []
    for line in (x for source in sources for x in source.read_text().splitlines()):
        item = json.loads(line)
        lines.append(
            json.dumps({"q": item["q"], "relevant": [mapping[i] for i in item["relevant"]]})
        )
    out.write_text("\n".join(lines) + "\n")
    return len(lines)


def rrag(env: dict[str, str], *argv: str) -> str:
    # this checkout's rrag, whatever an editable install elsewhere points the `rrag` script at
    code = "from rrag.cli.main import main; raise SystemExit(main())"
    pythonpath = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, "-c", code, *argv],
        env={**os.environ, **env, "PYTHONPATH": pythonpath},
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if proc.returncode:
        raise SystemExit(f"rrag {' '.join(argv)} failed: {proc.stderr.strip()[-2000:]}")
    return proc.stdout


def copy_store(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(src / "rrag.db") as a, sqlite3.connect(dst / "rrag.db") as b:
        a.backup(b)


def semantic_available() -> bool:
    from rrag.index.embedders import semantic_available as available
    from rrag.settings import EmbeddingSettings

    return available(EmbeddingSettings().model)


def eval_rows(env: dict[str, str], queries: Path, *extra: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(rrag(env, "eval", "--queries", str(queries), *extra))
    return rows


def title_queries(mapping_path: Path, out: Path) -> None:
    """The target issues' own titles as queries: a sanity check that the baseline works."""
    mapping = {int(k): int(v) for k, v in json.loads(mapping_path.read_text()).items()}
    titles = {json.loads(x)["id"]: json.loads(x)["subject"] for x in CORPUS.open()}
    lines = []
    for line in QUERIES.read_text().splitlines():
        target = json.loads(line)["relevant"][0]
        lines.append(json.dumps({"q": titles[target], "relevant": [mapping[target]]}))
    out.write_text("\n".join(lines) + "\n")


def redmine_rows(base: dict[str, str], queries: Path, titles: Path) -> list[dict[str, Any]]:
    """Redmine's search with "any word" (``all_words=`` empty: Redmine treats any value,
    even "0", as all words), and with the exact titles, beside the default row."""
    from rrag.retrieval.evaluate import evaluate, load_queries

    headers = {"X-Redmine-API-Key": base["REDMINE_API_KEY"]}
    with httpx.Client(base_url=base["REDMINE_BASE_URL"], headers=headers, timeout=60) as http:

        def ranker(**extra: Any) -> Any:
            def rank(q: str, k: int) -> list[int]:
                params = {"q": q, "issues": 1, "limit": k, **extra}
                results = http.get("/search.json", params=params).raise_for_status().json()
                return [int(r["id"]) for r in results["results"]]

            return rank

        return [
            evaluate("redmine any-word", ranker(all_words=""), load_queries(queries)).as_dict(),
            evaluate("redmine, exact titles (sanity)", ranker(), load_queries(titles)).as_dict(),
        ]


def table(rows: list[tuple[str, str, dict[str, Any]]]) -> str:
    out = [
        "| embedder | mode | recall@10 | MRR@10 | nDCG@10 | p50 ms | p95 ms |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for embedder, mode, r in rows:
        out.append(
            f"| {embedder} | {mode} | {r['recall']:.3f} | {r['mrr']:.3f} | {r['ndcg']:.3f} "
            f"| {r['p50_ms']:.1f} | {r['p95_ms']:.1f} |"
        )
    return "\n".join(out)


def quality_rows(
    envs: dict[str, dict[str, str]],
    embedders: list[str],
    queries: Path,
    base: dict[str, str],
    titles: Path,
) -> list[tuple[str, str, dict[str, Any]]]:
    modes = [a for m in MODES for a in ("--mode", m)]
    rows: list[tuple[str, str, dict[str, Any]]] = []
    for e in embedders:
        extra = ["--redmine-baseline"] if e == embedders[0] else []
        for r in eval_rows(envs[e], queries, *modes, "--json", *extra):
            rows.append((e if r["name"] != "redmine" else "—", r["name"], r))
    auto = {**envs[embedders[-1]], "EMBEDDING_PROVIDER": "auto"}
    (r,) = eval_rows(auto, queries, "--mode", "hybrid", "--json")
    rows.append((f"auto (= {embedders[-1]})", "hybrid", r))
    rows += [("—", r["name"], r) for r in redmine_rows(base, queries, titles)]
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instance", type=Path, help="Redmine instance DIR (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="leave the Redmine running")
    parser.add_argument("--journals", type=int, default=0, help="synthetic notes per issue")
    parser.add_argument("--fusions", action="store_true", help="also compare fusion settings")
    args = parser.parse_args()
    instance = (args.instance or Path(tempfile.mkdtemp(prefix="rrag-bq-"))).resolve()
    base = ensure_redmine(instance, args.journals)
    try:
        return run(instance, base, args)
    finally:
        if not args.keep:
            subprocess.run([str(REDMINE_SH), "stop", str(instance)], check=False)


def run(instance: Path, base: dict[str, str], args: argparse.Namespace) -> int:
    redmine_env = {k: base[k] for k in ("REDMINE_BASE_URL", "REDMINE_API_KEY")}
    embedders = ["hashing"] + (["sentence-transformers"] if semantic_available() else [])
    envs = {
        e: {**redmine_env, "RRAG_DATA_DIR": str(instance / f"data-{e}"), "EMBEDDING_PROVIDER": e}
        for e in embedders
    }
    first = envs["hashing"]
    if not (Path(first["RRAG_DATA_DIR"]) / "rrag.db").exists():
        rrag(first, "sync")  # the after-sync hook builds the hashing index
    for e in embedders[1:]:
        if not (Path(envs[e]["RRAG_DATA_DIR"]) / "chunks.index").exists():
            copy_store(Path(first["RRAG_DATA_DIR"]), Path(envs[e]["RRAG_DATA_DIR"]))
            rrag(envs[e], "index", "--rebuild")
    titles = instance / "queries-titles.jsonl"
    title_queries(instance / "mapping.json", titles)
    glossary: list[tuple[str, str, dict[str, Any]]] = []
    for label, sources in QUERY_SETS.items():
        queries = instance / f"queries-{label}.jsonl"
        count = mapped_queries(instance / "mapping.json", sources, queries)
        print(f"## Quality, {label} queries ({count}, {len(embedders)} embedders)\n")
        print(table(quality_rows(envs, embedders, queries, base, titles)) + "\n")
        for e in embedders:
            for setting in ("none", "builtin"):
                env = {**envs[e], "RETRIEVAL_GLOSSARY": setting}
                (r,) = eval_rows(env, queries, "--mode", "hybrid", "--json")
                glossary.append((e, f"{label} ({count}), glossary {setting}", r))
    print("## Hybrid with the glossary off and on\n")
    print(table(glossary) + "\n")
    queries = instance / "queries-original.jsonl"
    if args.fusions:
        fused = []
        for e in embedders:
            for name, env in FUSIONS:
                (r,) = eval_rows({**envs[e], **env}, queries, "--mode", "hybrid", "--json")
                fused.append((e, name, r))
        print("\n## Hybrid fusion settings\n")
        print(table(fused))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
