"""``rrag extract``: every issue through the LLM into the versioned schema (a foreground
job, resumable: a run after a crash or an outage picks up where the last one stopped)."""

from __future__ import annotations

import argparse

from rrag.cli.args import add_project_ids
from rrag.cli.context import Context
from rrag.cli.sync_cmds import print_job


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "extract", help="extract a summary, symptoms, error signatures, fix ... from each issue"
    )
    add_project_ids(p, "limit to this project (repeatable); default: every project")
    p.add_argument(
        "--force", action="store_true", help="extract again even issues already extracted"
    )
    p.add_argument("--json", action="store_true", help="print the final job as JSON")
    p.set_defaults(func=cmd_extract)


def cmd_extract(ctx: Context, args: argparse.Namespace) -> int:
    from rrag.extract import run_new_extract_job

    job = run_new_extract_job(
        ctx.store,
        ctx.settings,
        args.project_ids,
        force=args.force,
        after=ctx.after_sync(),  # index the extractions, as after a sync
    )
    print_job(job, args.json)
    return 0 if job.status == "finished" else 1


__all__ = ["register"]
