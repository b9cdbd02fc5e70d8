#!/usr/bin/env python3
"""Issue #17's goals measured side by side: two checkouts' lexical engines in one run.

``--baseline DIR`` is a checkout of the code before #17 (FTS5), e.g. ``git worktree add
/tmp/fts5-base 2af8cd8``; ``--current DIR`` (default: this checkout) the code under test.
Each measurement runs for both, each in its own subprocess importing that checkout's
``rrag`` (``bench_retrieval_speed.py --code-root``), alternating baseline and current, the
order swapped every round, so both see the same machine load:

- speed (``--rounds`` pairs): ``bench_retrieval_speed.py`` at ``--size`` chunks, hashing,
  on the unseen query stream and its repeat, each mode from a fresh process's first query;
  build chunks/s, peak RSS, and the drain after 1% of the chunks changed;
- quality (``compare_quality.py``): the four labelled sets of benchmarks/queries on the
  4,231 real redmine.org issues in one throwaway Redmine, synced by each checkout's own
  ``rrag sync``, both embedders, lexical and hybrid recall@10, MRR@10, nDCG@10.

Prints Markdown tables (each checkout's figures, then current / baseline ratios) and writes
every raw figure to ``--out`` as JSON.

    python benchmarks/compare_lexical.py --baseline /tmp/fts5-base [--current DIR]
        [--size 100000] [--rounds 2] [--private-every N] [--skip-speed] [--skip-quality]
        [--instance DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SPEED = ROOT / "benchmarks" / "bench_retrieval_speed.py"
STREAM = ROOT / "benchmarks" / "queries" / "unseen-stream.jsonl"
LATENCY_COLUMNS = [(m, p) for m in ("lexical", "hybrid", "vector") for p in ("stream", "repeat")]


def describe(checkout: Path) -> str:
    """The checkout's commit, ``+dirty`` when its ``rrag/`` has uncommitted changes."""
    git = ["git", "-C", str(checkout)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run([*git, "status", "--porcelain", "--", "rrag"], capture_output=True)
    return commit.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def speed_run(checkout: Path, size: int, queries: Path, private_every: int) -> dict[str, Any]:
    argv = [sys.executable, str(SPEED), "--code-root", str(checkout), "--sizes", str(size)]
    argv += ["--semantic-size", "0", "--queries", str(queries)]
    argv += ["--private-every", str(private_every)]
    env = {**os.environ, "RRAG_LOG_LEVEL": "WARNING"}
    proc = subprocess.run(argv, capture_output=True, text=True, env=env)
    if proc.returncode:
        raise SystemExit(f"speed run on {checkout} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def speed_rounds(sides: dict[str, Path], args: argparse.Namespace) -> list[dict[str, Any]]:
    runs = []
    for n in range(args.rounds):
        order = list(sides) if n % 2 == 0 else list(sides)[::-1]
        for label in order:
            print(f"speed round {n + 1}: {label} ...", file=sys.stderr, flush=True)
            result = speed_run(sides[label], args.size, args.queries, args.private_every)
            runs.append({"side": label, "round": n + 1, **result})
    return runs


def peak_rss(run: dict[str, Any]) -> int:
    """The highest of the builder's and the query processes' peaks."""
    query = max(run["latency"][m]["peak_rss_mb"] for m in run["latency"])
    return max(int(run["builder_peak_rss_mb"]), int(query))


def speed_table(runs: list[dict[str, Any]]) -> str:
    head = " | ".join(f"{m} {p} p50/p95/p99 ms" for m, p in LATENCY_COLUMNS)
    out = [
        f"| code | round | chunks | build chunks/s | peak RSS MB | {head} "
        "| 1% update: drain s (embed / vector save / lexical / rest) | load |",
        "|---|---:|---:|---:|---:|" + "---:|" * len(LATENCY_COLUMNS) + "---:|---:|",
    ]
    for r in runs:
        lat = " | ".join(
            "{p50:.1f} / {p95:.1f} / {p99:.1f}".format(**r["latency"][m][p])
            for m, p in LATENCY_COLUMNS
        )
        u = r["update"]
        lexical = "in rest" if u.get("lexical_s") is None else f"{u['lexical_s']:.2f}"
        update = f"{u['drain_s']:.2f} ({u['embed_s']:.2f} / {u['vector_save_s']:.2f} / "
        update += f"{lexical} / {u['rest_s']:.2f})"
        out.append(
            f"| {r['side']} ({r['commit']}) | {r['round']} | {r['chunks']:,} "
            f"| {r['build_rate']:,} | {peak_rss(r)} | {lat} | {update} | {r['load_average']} |"
        )
    return "\n".join(out)


def speed_metrics(run: dict[str, Any]) -> dict[str, float]:
    metrics = {
        f"{m} {p} {q}": float(run["latency"][m][p][q])
        for m, p in LATENCY_COLUMNS
        for q in ("p50", "p95", "p99")
    }
    metrics["build chunks/s"] = float(run["build_rate"])
    metrics["peak RSS MB"] = float(peak_rss(run))
    metrics["1% update drain s"] = float(run["update"]["drain_s"])
    metrics["1% update drain s without the vector save"] = float(
        run["update"]["drain_s"] - run["update"]["vector_save_s"]
    )
    return metrics


def ratio_table(runs: list[dict[str, Any]], baseline: str, current: str) -> str:
    """Median over rounds per checkout, and current / baseline."""
    per_side = {
        side: [speed_metrics(r) for r in runs if r["side"] == side] for side in (baseline, current)
    }
    out = [f"| metric | {baseline} (median) | {current} (median) | {current} / {baseline} |"]
    out.append("|---|---:|---:|---:|")
    for key in per_side[baseline][0]:
        b = median(m[key] for m in per_side[baseline])
        c = median(m[key] for m in per_side[current])
        out.append(f"| {key} | {b:,.2f} | {c:,.2f} | {c / b if b else float('nan'):.2f} |")
    return "\n".join(out)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, required=True, help="checkout before #17")
    parser.add_argument("--current", type=Path, default=ROOT, help="checkout under test")
    parser.add_argument("--labels", nargs=2, default=["fts5", "tantivy"], metavar="NAME")
    parser.add_argument("--size", type=int, default=100_000, help="synthetic chunks")
    parser.add_argument("--rounds", type=int, default=2, help="speed runs per checkout")
    parser.add_argument("--queries", type=Path, default=STREAM, help="JSON lines {q}")
    parser.add_argument(
        "--private-every", type=int, default=0, help="every Nth synthetic issue private"
    )
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--instance", type=Path, help="Redmine instance DIR (kept, reused)")
    parser.add_argument("--out", type=Path, help="write the raw figures here as JSON")
    args = parser.parse_args()
    for path in (args.baseline, args.current):
        if not (path / "rrag" / "__init__.py").is_file():
            parser.error(f"{path} is not an rrag checkout")
    if not args.queries.is_file():
        parser.error(f"{args.queries}: no such query file")
    return args


def main() -> int:
    args = parse_args()
    baseline, current = args.labels
    sides = {baseline: args.baseline.resolve(), current: args.current.resolve()}
    commits = {label: describe(path) for label, path in sides.items()}
    report: dict[str, Any] = {"commits": commits, "cores": os.cpu_count()}
    print(f"{baseline} = {sides[baseline]} ({commits[baseline]}), ", end="")
    print(f"{current} = {sides[current]} ({commits[current]}), {os.cpu_count()} cores\n")
    if not args.skip_speed:
        runs = speed_rounds(sides, args)
        for r in runs:
            r["commit"] = commits[r["side"]]
        report["speed"] = runs
        private = f", every {args.private_every}th issue private" if args.private_every else ""
        print(
            f"## Speed at {args.size:,} chunks, hashing, {runs[0]['queries']} unseen queries"
            f"{private}\n"
        )
        print(speed_table(runs) + "\n")
        print(ratio_table(runs, baseline, current) + "\n", flush=True)
    if not args.skip_quality:
        from compare_quality import quality

        report["quality"] = quality(sides, commits, args.instance)
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
