#!/usr/bin/env python
"""Guardrail event recording: what an ask pays, with and without a writer holding the store.

On a fresh store in a temp dir: ``--events`` calls of
:func:`rrag.guardrails.record_event` (over ``--sources`` distinct sources, so most are
repeats that only move ``seen``), timed on the caller's side, then the time the
background writer needs to have them all in the table (:func:`flush_events`); compared
with the same rows written synchronously one transaction each (what ``record_event`` did
before the writer). Then one call while another connection holds the write lock
(``BEGIN IMMEDIATE``), as a sync committing a batch does: the caller's time, and the
synchronous path's fate (it waits up to the busy timeout, then fails).

    python benchmarks/bench_guardrail_events.py --events 2000 --sources 50
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from rrag.guardrails import count_events, flush_events, record_event
from rrag.guardrails.events import _write_batch
from rrag.store.db import open_store


def _row(n: int, sources: int) -> dict[str, Any]:
    rule = ("override", "exfiltration", "role_change")[n % 3]
    source = f"issue:{n % sources}"
    at = "2026-01-01T00:00:00.000+00:00"
    return {"kind": "prompt_injection", "rule": rule, "source": source, "at": at, "raw": {}}


def queued(data: Path, events: int, sources: int) -> dict[str, float]:
    store = open_store(data)
    started = time.perf_counter()
    for n in range(events):
        row = _row(n, sources)
        record_event(store, row["kind"], row["source"], {"pattern": row["rule"]})
    called = time.perf_counter() - started
    flush_events(store)
    written = time.perf_counter() - started
    distinct = count_events(store)["prompt_injection"]
    store.close()
    return {
        "caller_us_per_event": round(called / events * 1e6, 1),
        "all_written_s": round(written, 3),
        "distinct_events": distinct,
    }


def synchronous(data: Path, events: int, sources: int) -> dict[str, float]:
    store = open_store(data)
    started = time.perf_counter()
    for n in range(events):
        _write_batch(store, [_row(n, sources)])
    took = time.perf_counter() - started
    store.close()
    return {"caller_us_per_event": round(took / events * 1e6, 1), "all_written_s": round(took, 3)}


def under_lock(data: Path) -> dict[str, float]:
    store = open_store(data)
    blocker = sqlite3.connect(store.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    started = time.perf_counter()
    record_event(store, "prompt_injection", "issue:1", {"pattern": "override"})
    caller = time.perf_counter() - started
    held = 2.0
    time.sleep(held)  # the lock held a while, as a long sync batch would
    blocker.execute("ROLLBACK")
    blocker.close()
    flush_events(store)
    after_release = time.perf_counter() - started - held
    store.close()
    return {
        "caller_ms": round(caller * 1000, 3),
        "written_after_release_s": round(after_release, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--sources", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = {
            "events": args.events,
            "sources": args.sources,
            "queued": queued(Path(tmp) / "a", args.events, args.sources),
            "synchronous": synchronous(Path(tmp) / "b", args.events, args.sources),
            "under_lock": under_lock(Path(tmp) / "c"),
        }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
