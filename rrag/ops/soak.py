"""``rrag ops soak``: repeated incremental syncs, measured, with a verdict.

Per iteration: duration, job counters and status, errors, RSS of this process, database
and index size, issues in the store, index consistency. Changes may be injected into the
real Redmine between iterations (:mod:`rrag.ops.inject`). The verdict fails when a job
failed or counted errors, when the store's issue count moved by anything other than the
injected creations, when storage grew beyond what the changes explain, when RSS after
warm-up rose more than ``max_rss_growth`` over the warm-up level, or when store and
index disagree at the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
import psutil
from sqlalchemy import text

from rrag.ops.inject import Injector
from rrag.ops.maintenance import store_sizes
from rrag.ops.wiring import store_consistency
from rrag.settings import Settings
from rrag.store.db import Store
from rrag.sync.runner import AfterSync, run_new_job

Row = dict[str, Any]


@dataclass(frozen=True)
class SoakConfig:
    iterations: int = 3
    project_ids: list[int] | None = None
    inject_per_iteration: int = 0  # changes made in Redmine before iterations 2..n
    inject_project_id: int | None = None  # default: the first of project_ids
    warmup: int = 1  # iterations before the RSS baseline is taken
    max_rss_growth: float = 0.10
    slack_bytes: int = 2 << 20  # storage growth allowed with no change at all
    bytes_per_change: int = 256 << 10  # storage a single injected change may explain


def _issue_count(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM issues")).scalar_one())


def _db_used_bytes(store: Store) -> int:
    """Bytes of live pages: the data, not WAL slack or free pages a checkpoint will reuse."""
    with store.engine.connect() as conn:
        pages = int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())
        free = int(conn.exec_driver_sql("PRAGMA freelist_count").scalar_one())
        size = int(conn.exec_driver_sql("PRAGMA page_size").scalar_one())
    return (pages - free) * size


def _iteration(
    store: Store, settings: Settings, config: SoakConfig, n: int, after_sync: AfterSync | None
) -> Row:
    started = time.perf_counter()
    result = run_new_job(store, settings, "incremental", config.project_ids, after_sync=after_sync)
    seconds = time.perf_counter() - started
    sizes = store_sizes(settings.store.data_dir)
    return {
        "iteration": n,
        "seconds": round(seconds, 3),
        "status": result.status,
        "counters": result.counters,
        "errors": result.counters["errors"],
        "error": msgspec.to_builtins(result.error),  # rows are written as JSON
        "rss_bytes": psutil.Process().memory_info().rss,
        "db_bytes": _db_used_bytes(store),
        "wal_bytes": sizes["rrag.db-wal"],
        "index_bytes": sizes["chunks.index"] + sizes["chunks.meta.json"],
        "issues": _issue_count(store),
    }


def verdict(
    rows: list[Row],
    config: SoakConfig,
    created_after_first: int,
    changes: int,
    consistency: dict[str, Any],
) -> dict[str, Any]:
    """Judge a soak run; ``passed`` plus one line per failed check in ``reasons``."""
    reasons = []
    failed = [r["iteration"] for r in rows if r["status"] != "finished" or r["errors"]]
    if failed:
        reasons.append(f"iterations {failed} failed or counted errors")
    first, last = rows[0], rows[-1]
    if last["issues"] - first["issues"] != created_after_first:
        reasons.append(
            f"issues went from {first['issues']} to {last['issues']} but "
            f"{created_after_first} were created"
        )
    grown = (last["db_bytes"] + last["index_bytes"]) - (first["db_bytes"] + first["index_bytes"])
    allowed = config.slack_bytes + config.bytes_per_change * changes
    if grown > allowed:
        reasons.append(f"storage grew {grown} bytes; {changes} changes explain {allowed}")
    warm = rows[min(config.warmup, len(rows)) - 1]["rss_bytes"]
    peak = max(r["rss_bytes"] for r in rows[config.warmup :]) if len(rows) > config.warmup else warm
    if peak > warm * (1 + config.max_rss_growth):
        reasons.append(
            f"RSS rose from {warm} to {peak} bytes after warm-up (> {config.max_rss_growth:.0%})"
        )
    if not consistency["ok"]:
        reasons.append("store and index disagree: " + "; ".join(consistency["problems"]))
    return {
        "passed": not reasons,
        "reasons": reasons,
        "storage_growth_bytes": grown,
        "storage_growth_allowed": allowed,
        "rss_warm_bytes": warm,
        "rss_peak_bytes": peak,
    }


def run_soak(
    settings: Settings,
    store: Store,
    config: SoakConfig,
    after_sync: AfterSync | None = None,
    on_iteration: Callable[[Row], None] | None = None,
) -> dict[str, Any]:
    """Run the soak; returns ``{"config", "iterations", "injected", "verdict"}``."""
    target = config.inject_project_id or (config.project_ids[0] if config.project_ids else None)
    injector = None
    if config.inject_per_iteration and target is not None:
        injector = Injector(settings, int(target), config.inject_per_iteration)
    rows: list[Row] = []
    for n in range(1, config.iterations + 1):
        injected = injector.round() if injector and n > 1 else None
        row = _iteration(store, settings, config, n, after_sync)
        row["injected"] = injected
        rows.append(row)
        if on_iteration:
            on_iteration(row)
    totals = dict(injector.counts) if injector else {}
    in_scope = config.project_ids is None or target in config.project_ids
    created = totals.get("create", 0) if in_scope else 0
    consistency = store_consistency(settings, store)
    judged = verdict(rows, config, created, sum(totals.values()), consistency)
    return {
        "config": config.__dict__,
        "iterations": rows,
        "injected": totals,
        "consistency": consistency,
        "verdict": judged,
    }


__all__ = ["SoakConfig", "run_soak", "verdict"]
