"""``rrag ops backup | restore | verify | maintenance | health | soak``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rrag.cli.args import add_project_ids
from rrag.cli.context import Context
from rrag.errors import InputError
from rrag.ops.durable import human_size


def register(sub: argparse._SubParsersAction) -> None:
    ops = sub.add_parser("ops", help="operations: backup, restore, maintenance, soak")
    cmds = ops.add_subparsers(dest="ops_command", required=True, parser_class=type(ops))

    p = cmds.add_parser("backup", help="snapshot the database and index (safe while running)")
    p.add_argument("--output-dir", type=Path, required=True, help="where snapshot-<UTC>/ goes")
    p.add_argument(
        "--lock-timeout",
        type=float,
        default=300.0,
        metavar="S",
        help="wait this long for a running index update (default 300)",
    )
    p.add_argument("--json", action="store_true", help="print path and manifest as JSON")
    p.set_defaults(func=cmd_backup)

    p = cmds.add_parser("restore", help="replace database and index with a snapshot")
    p.add_argument("--source-dir", type=Path, required=True, help="a snapshot-<UTC>/ directory")
    p.add_argument("--force", action="store_true", help="really overwrite the live store")
    p.add_argument(
        "--allow-embedder-change",
        action="store_true",
        help="restore a snapshot indexed by another embedder (then run rrag index --rebuild)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_restore)

    p = cmds.add_parser("verify", help="check a snapshot (checksums, integrity, generations)")
    p.add_argument("--source-dir", type=Path, required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_verify)

    p = cmds.add_parser("maintenance", help="checkpoint WAL, VACUUM, ANALYZE, check index")
    p.add_argument("--dry-run", action="store_true", help="only measure sizes and check")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_maintenance)

    p = cmds.add_parser("soak", help="repeated incremental syncs with a pass/fail verdict")
    p.add_argument("--iterations", type=int, default=3, help="syncs to run (default 3)")
    add_project_ids(p, "limit to this project (repeatable); default: all visible")
    p.add_argument(
        "--inject-changes",
        type=int,
        default=0,
        metavar="K",
        help="changes made in Redmine before each iteration after the first",
    )
    p.add_argument(
        "--inject-project-id",
        type=int,
        metavar="N",
        help="project that receives the changes (default: first --project-id)",
    )
    p.add_argument("--warmup", type=int, default=1, help="iterations before the RSS baseline")
    p.add_argument("--max-rss-growth", type=float, default=0.10, help="allowed RSS rise")
    p.add_argument("--report", type=Path, help="also write the full report (JSON) here")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_soak)

    p = cmds.add_parser("health", help="store, jobs, index consistency, locks, sizes")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_health)


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


def cmd_backup(ctx: Context, args: argparse.Namespace) -> int:
    from rrag.ops.backup import backup

    result = backup(ctx.settings, args.output_dir, lock_timeout_s=args.lock_timeout)
    if args.json:
        _print_json(result)
    else:
        print(result["path"])
    return 0


def cmd_restore(ctx: Context, args: argparse.Namespace) -> int:
    from rrag.ops.restore import restore

    result = restore(
        ctx.settings,
        args.source_dir,
        force=args.force,
        allow_embedder_change=args.allow_embedder_change,
    )
    if args.json:
        _print_json(result)
        return 0
    print(
        f"restored {result['source']} into {result['data_dir']} (index generation "
        f"{result['index_generation']}, {result['row_counts'].get('issues', 0)} issues)"
    )
    if result["embedder_change"]:
        from rrag.ops.embedder_match import rebuild_notice

        print(f"next: {rebuild_notice(result['embedder_change'])}")
    return 0


def cmd_verify(ctx: Context, args: argparse.Namespace) -> int:
    from rrag.ops.snapshot import verify_snapshot

    manifest = verify_snapshot(args.source_dir)
    if args.json:
        _print_json(manifest)
    else:
        print(
            f"ok: {args.source_dir} (created {manifest['created_at']}, index generation "
            f"{manifest['index_generation']}, {len(manifest['files'])} files verified)"
        )
    return 0


def cmd_maintenance(ctx: Context, args: argparse.Namespace) -> int:
    from rrag.ops.maintenance import maintenance

    report = maintenance(ctx.settings, dry_run=args.dry_run)
    if args.json:
        _print_json(report)
        return 0 if report["consistency"]["ok"] else 1
    for name, size in report["before"].items():
        print(f"{name:<18} {human_size(size):>10} -> {human_size(report['after'][name]):>10}")
    for step in report["steps"]:
        print(f"{step['step']:<18} {step['seconds']:>9.3f} s")
    check = report["consistency"]
    print("consistency: " + ("ok" if check["ok"] else "; ".join(check["problems"])))
    return 0 if check["ok"] else 1


def _soak_config(args: argparse.Namespace) -> Any:
    from rrag.ops.soak import SoakConfig

    if not 1 <= args.iterations <= 10_000:
        raise InputError(f"--iterations must be between 1 and 10000, got {args.iterations}")
    if args.inject_changes < 0 or not 0 <= args.warmup < args.iterations + 1:
        raise InputError("--inject-changes must be >= 0 and --warmup <= --iterations")
    if args.inject_changes and not (args.inject_project_id or args.project_ids):
        raise InputError("--inject-changes needs --inject-project-id or --project-id")
    return SoakConfig(
        iterations=args.iterations,
        project_ids=args.project_ids,
        inject_per_iteration=args.inject_changes,
        inject_project_id=args.inject_project_id,
        warmup=max(1, args.warmup),
        max_rss_growth=args.max_rss_growth,
    )


def _print_iteration(row: dict[str, Any]) -> None:
    print(
        f"#{row['iteration']:<3} {row['status']:<9} {row['seconds']:>8.2f} s  "
        f"changed={row['counters']['issues_changed']:<4} errors={row['errors']:<2} "
        f"rss={human_size(row['rss_bytes']):>10} db={human_size(row['db_bytes']):>10} "
        f"index={human_size(row['index_bytes']):>10} issues={row['issues']}",
        flush=True,
    )


def cmd_soak(ctx: Context, args: argparse.Namespace) -> int:
    from rrag.ops.durable import write_atomic
    from rrag.ops.soak import run_soak

    config = _soak_config(args)
    report = run_soak(
        ctx.settings,
        ctx.store,
        config,
        after_sync=ctx.after_sync(),
        on_iteration=None if args.json else _print_iteration,
    )
    if args.report:
        write_atomic(args.report, json.dumps(report, indent=2, default=str).encode())
    verdict = report["verdict"]
    if args.json:
        _print_json(report)
    else:
        print("verdict: " + ("PASS" if verdict["passed"] else "FAIL"))
        for reason in verdict["reasons"]:
            print(f"  - {reason}")
    return 0 if verdict["passed"] else 1


def cmd_health(ctx: Context, args: argparse.Namespace) -> int:
    from rrag.ops.diagnostics import health_report

    report = health_report(ctx.settings)
    if args.json:
        _print_json(report)
    else:
        print(f"{'ok' if report['ok'] else 'PROBLEMS'}: {report['data_dir']} jobs={report['jobs']}")
        for problem in report["problems"]:
            print(f"  - {problem}")
    return 0 if report["ok"] else 1


__all__ = ["register"]
