"""Quality of two checkouts side by side on the labelled sets (``compare_lexical.py``).

One throwaway Redmine (``bench_retrieval_quality.ensure_redmine``: the 4,231 redmine.org
changelog issues from ../shared/data, seeded once) serves both checkouts. Each syncs it into
its own data dir with its own ``rrag sync`` (hashing index built by the after-sync hook),
copies that store for sentence-transformers and runs its own ``rrag index --rebuild``, then
``rrag eval --json`` on each labelled set (redmine.org ids mapped to local ids), lexical and
hybrid. Rankings are deterministic, so the order of the runs does not matter here. Nothing
is tuned on these sets: this only reports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench_retrieval_quality import (
    QUERY_SETS,
    REDMINE_SH,
    copy_store,
    ensure_redmine,
    mapped_queries,
    semantic_available,
)

MODES = ("lexical", "hybrid")
METRICS = ("recall", "mrr", "ndcg")


def rrag_cli(checkout: Path, env: dict[str, str], *argv: str) -> str:
    """``rrag ARGV`` with ``checkout``'s code (not whatever the venv's script points at)."""
    code = "from rrag.cli.main import main; raise SystemExit(main())"
    proc = subprocess.run(
        [sys.executable, "-c", code, *argv],
        env={**os.environ, **env, "PYTHONPATH": str(checkout), "RRAG_LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        cwd=checkout,
    )
    if proc.returncode:
        raise SystemExit(f"{checkout}: rrag {' '.join(argv)} failed: {proc.stderr[-2000:]}")
    return proc.stdout


def eval_rows(checkout: Path, env: dict[str, str], queries: Path) -> dict[str, dict[str, float]]:
    """``{mode: {recall, mrr, ndcg}}`` from ``rrag eval --json`` (a list of rows, or an
    object holding them under ``rows``, whichever shape this checkout prints)."""
    modes = [a for m in MODES for a in ("--mode", m)]
    out = json.loads(rrag_cli(checkout, env, "eval", "--queries", str(queries), *modes, "--json"))
    rows = out["rows"] if isinstance(out, dict) else out
    return {r["name"]: {k: float(r[k]) for k in METRICS} for r in rows if r["name"] in MODES}


def prepare(checkout: Path, label: str, instance: Path, embedders: list[str]) -> dict[str, Any]:
    """Sync and index ``checkout``'s stores (reused when present: ``label`` names the
    commit); env per embedder."""
    base = ensure_redmine(instance, 0)
    redmine = {k: base[k] for k in ("REDMINE_BASE_URL", "REDMINE_API_KEY")}
    envs = {
        e: {
            **redmine,
            "RRAG_DATA_DIR": str(instance / f"data-{label}-{e}"),
            "EMBEDDING_PROVIDER": e,
        }
        for e in embedders
    }
    first = Path(envs["hashing"]["RRAG_DATA_DIR"])
    if not (first / "rrag.db").exists():
        print(f"quality: {label} syncs ...", file=sys.stderr, flush=True)
        rrag_cli(checkout, envs["hashing"], "sync")
    for e in embedders[1:]:
        target = Path(envs[e]["RRAG_DATA_DIR"])
        if not (target / "chunks.index").exists():
            print(f"quality: {label} indexes with {e} ...", file=sys.stderr, flush=True)
            copy_store(first, target)
            rrag_cli(checkout, envs[e], "index", "--rebuild")
    return envs


def table(figures: dict[str, Any], labels: list[str], embedders: list[str]) -> str:
    b, c = labels
    cols = " | ".join(f"{x} recall@10 / MRR@10 / nDCG@10" for x in labels)
    out = [
        f"| set | embedder | mode | {cols} | {c} at or above {b} |",
        "|---|---|---|---:|---:|---|",
    ]
    for name in QUERY_SETS:
        for e in embedders:
            for mode in MODES:
                rows = [figures[x][name][e][mode] for x in labels]
                cells = " | ".join(" / ".join(f"{r[k]:.3f}" for k in METRICS) for r in rows)
                worse = [k for k in METRICS if rows[1][k] < rows[0][k] - 1e-9]
                deltas = ", ".join(f"{k} {rows[1][k] - rows[0][k]:+.4f}" for k in worse)
                verdict = "yes" if not worse else f"**no**: {deltas}"
                out.append(f"| {name} | {e} | {mode} | {cells} | {verdict} |")
    return "\n".join(out)


def quality(
    sides: dict[str, Path], commits: dict[str, str], instance: Path | None
) -> dict[str, Any]:
    """Prints the per-set table; returns ``{label: {set: {embedder: {mode: metrics}}}}``.
    Stores are kept per label and commit, so a rerun on the same commits reuses them."""
    keep = instance is not None
    instance = (instance or Path(tempfile.mkdtemp(prefix="rrag-cmpq-"))).resolve()
    embedders = ["hashing"] + (["sentence-transformers"] if semantic_available() else [])
    figures: dict[str, Any] = {}
    try:
        for label, checkout in sides.items():
            envs = prepare(checkout, f"{label}-{commits[label]}", instance, embedders)
            figures[label] = {}
            for name, sources in QUERY_SETS.items():
                queries = instance / f"queries-{name}.jsonl"
                mapped_queries(instance / "mapping.json", sources, queries)
                figures[label][name] = {e: eval_rows(checkout, envs[e], queries) for e in embedders}
    finally:
        if not keep:
            subprocess.run([str(REDMINE_SH), "stop", str(instance)], check=False)
    print(f"## Quality, k = 10 ({', '.join(embedders)})\n")
    print(table(figures, list(sides), embedders) + "\n", flush=True)
    return figures
