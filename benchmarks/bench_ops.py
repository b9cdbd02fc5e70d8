#!/usr/bin/env python
"""Backup and restore: time and snapshot size, against a same-run plain-copy baseline.

Stores measured: an existing data dir (``--data-dir``, e.g. one synced from the real
Redmine) and a synthetic store with ``--chunks`` chunks (demo issues, two chunks each,
hashing embedder). For each: database and index size, ``rrag.ops.backup`` time and
snapshot size, ``verify_snapshot`` time, ``restore`` time into a fresh data dir, and the
baseline — ``shutil.copyfile`` of the same quiesced files, which is what a backup costs
at minimum. Ratios are backup/baseline and restore/baseline, so machine load cancels out
roughly. Figures are medians of ``--repeats`` runs.

    python benchmarks/bench_ops.py --data-dir /tmp/ops-bench/real --chunks 100000
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rrag.ops import backup, restore, verify_snapshot
from rrag.ops.demo import seed_demo
from rrag.ops.maintenance import store_sizes
from rrag.ops.runbook import runbook_settings
from rrag.ops.swap import recover_restore
from rrag.settings import Settings

PAIR = ("rrag.db", "chunks.index", "chunks.meta.json")


def _median_seconds(work: Callable[[int], Any], repeats: int) -> tuple[float, Any]:
    times, last = [], None
    for n in range(repeats):
        started = time.perf_counter()
        last = work(n)
        times.append(time.perf_counter() - started)
    return statistics.median(times), last


def measure(settings: Settings, scratch: Path, repeats: int) -> dict[str, Any]:
    data_dir = settings.store.data_dir
    recover_restore(data_dir)
    sizes = store_sizes(data_dir)

    def plain_copy(n: int) -> None:
        target = scratch / f"copy-{n}"
        target.mkdir()
        for name in PAIR:
            if (data_dir / name).exists():
                shutil.copyfile(data_dir / name, target / name)

    base_s, _ = _median_seconds(plain_copy, repeats)
    backup_s, snap = _median_seconds(lambda n: backup(settings, scratch / f"b{n}"), repeats)
    verify_s, _ = _median_seconds(lambda n: verify_snapshot(Path(snap["path"])), repeats)
    targets = [
        runbook_settings(str(scratch / f"r{n}"), embedding_provider="hashing")
        for n in range(repeats)
    ]
    restore_s, _ = _median_seconds(
        lambda n: restore(targets[n], Path(snap["path"]), force=True), repeats
    )
    return {
        "issues": snap["manifest"]["row_counts"].get("issues"),
        "chunks": snap["manifest"]["chunk_count"],
        "db_bytes": sizes["rrag.db"] + sizes["rrag.db-wal"],
        "index_bytes": sizes["chunks.index"] + sizes["chunks.meta.json"],
        "snapshot_bytes": snap["bytes"],
        "plain_copy_s": round(base_s, 4),
        "backup_s": round(backup_s, 4),
        "verify_s": round(verify_s, 4),
        "restore_s": round(restore_s, 4),
        "backup_vs_copy": round(backup_s / base_s, 2),
        "restore_vs_copy": round(restore_s / base_s, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="an existing (e.g. synced) data dir")
    parser.add_argument("--chunks", type=int, default=100_000, help="synthetic store size")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/bench_ops.json"))
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-ops-") as tmp:
        root = Path(tmp)
        if args.data_dir:
            (root / "real").mkdir()
            results["synced corpus"] = measure(
                runbook_settings(str(args.data_dir), embedding_provider="hashing"),
                root / "real",
                args.repeats,
            )
        synthetic = runbook_settings(str(root / "synthetic"), embedding_provider="hashing")
        started = time.perf_counter()
        seed_demo(synthetic, issues=args.chunks // 2)
        print(
            f"built the {args.chunks}-chunk store in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        (root / "syn").mkdir()
        results[f"{args.chunks} chunks"] = measure(synthetic, root / "syn", args.repeats)
    print(
        f"{'store':<16} {'issues':>7} {'chunks':>7} {'db MiB':>7} {'idx MiB':>7} "
        f"{'snap MiB':>8} {'copy s':>7} {'backup s':>8} {'verify s':>8} {'restore s':>9} "
        f"{'bk/copy':>7} {'rs/copy':>7}"
    )
    for name, r in results.items():
        print(
            f"{name:<16} {r['issues']:>7} {r['chunks']:>7} {r['db_bytes'] / 2**20:>7.1f} "
            f"{r['index_bytes'] / 2**20:>7.1f} {r['snapshot_bytes'] / 2**20:>8.1f} "
            f"{r['plain_copy_s']:>7.3f} {r['backup_s']:>8.3f} {r['verify_s']:>8.3f} "
            f"{r['restore_s']:>9.3f} {r['backup_vs_copy']:>7.1f} {r['restore_vs_copy']:>7.1f}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
