"""``rrag sync``, ``rrag jobs`` and ``rrag job``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import msgspec

from rrag.cli.args import add_project_ids
from rrag.cli.context import Context
from rrag.cli.output import print_json
from rrag.sync import jobs
from rrag.sync.job_record import Job, SyncRun
from rrag.sync.runner import run_new_job


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sync", help="sync Redmine into the local store (foreground job)")
    add_project_ids(p, "limit to this project (repeatable); default: all visible")
    p.add_argument(
        "--full",
        action="store_true",
        help="full pass: refetch every issue, catch edited notes and deletions",
    )
    p.add_argument("--json", action="store_true", help="print the final job as JSON")
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser("jobs", help="list sync and extract jobs, newest first")
    p.add_argument("--status", choices=jobs.STATUSES)
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_jobs)

    p = sub.add_parser("job", help="show one sync job")
    p.add_argument("job_id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_job)


def _progress_bar(enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=100, unit="%", desc="sync", file=sys.stderr, leave=False)


def cmd_sync(ctx: Context, args: argparse.Namespace) -> int:
    # the job row is written under the sync lock, already running (run_new_job), so a
    # process killed at any moment never leaves a job that looks queued
    bar = _progress_bar(sys.stderr.isatty() and not args.json)
    index_hook = ctx.after_sync()

    def progress(fraction: float, counters: jobs.Counters) -> None:
        if bar is not None:
            bar.n = round(fraction * 100)
            bar.set_postfix(issues=counters.issues_seen, changed=counters.issues_changed)

    try:
        result = run_new_job(
            ctx.store,
            ctx.settings,
            "full" if args.full else "incremental",
            args.project_ids,
            after_sync=index_hook,
            on_progress=progress,
        )
    finally:
        if bar is not None:
            bar.close()
    extracted = None
    if ctx.settings.llm.extract_after_sync:
        from rrag.extract import extract_after_sync

        extracted = extract_after_sync(ctx.store, ctx.settings, result, index_hook)
    run = SyncRun(**msgspec.structs.asdict(result), extract_job=extracted)
    print_job(run, args.json)
    return 0 if run.status == "finished" else 1


def print_job(job: Job, as_json: bool) -> None:
    if as_json:
        print_json(job)
        return
    counters = " ".join(f"{k}={v}" for k, v in job.counters.items())
    print(
        f"job {job.job_id} {job.status} kind={job.kind} mode={job.mode} "
        f"projects={job.project_ids or 'all'}"
    )
    print(f"  {counters}")
    if job.error:
        print(f"  error: {job.error.type}: {job.error.message}")
    if isinstance(job, SyncRun) and job.extract_job:  # LLM_EXTRACT_AFTER_SYNC
        print_job(job.extract_job, False)


def cmd_jobs(ctx: Context, args: argparse.Namespace) -> int:
    rows = [jobs.job_record(j) for j in jobs.list_jobs(ctx.store, args.status, args.limit)]
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        # a sync counts changed issues, an extraction extracted ones
        done = row.counters.get("issues_changed", row.counters.get("extracted", 0))
        print(
            f"{row.job_id}  {row.kind:<7}  {row.status:<9}  {row.mode:<11}  "
            f"{row.created_at}  done={done}"
        )
    return 0


def cmd_job(ctx: Context, args: argparse.Namespace) -> int:
    print_job(jobs.job_record(jobs.get_job(ctx.store, args.job_id)), args.json)
    return 0


__all__ = ["register"]
