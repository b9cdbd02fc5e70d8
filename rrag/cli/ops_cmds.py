"""``rrag ops backup | restore | verify | maintenance | health | soak``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rrag.cli.context import Context
from rrag.ops.files import human_size


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
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

    result = restore(ctx.settings, args.source_dir, force=args.force)
    if args.json:
        _print_json(result)
    else:
        print(
            f"restored {result['source']} into {result['data_dir']} (index generation "
            f"{result['index_generation']}, {result['row_counts'].get('issues', 0)} issues)"
        )
    return 0


def cmd_verify(ctx: Context, args: argparse.Namespace) -> int:
    from rrag.ops.manifest import verify_snapshot

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


def cmd_health(ctx: Context, args: argparse.Namespace) -> int:
    from rrag.ops.health import health_report

    report = health_report(ctx.settings)
    if args.json:
        _print_json(report)
    else:
        print(f"{'ok' if report['ok'] else 'PROBLEMS'}: {report['data_dir']} jobs={report['jobs']}")
        for problem in report["problems"]:
            print(f"  - {problem}")
    return 0 if report["ok"] else 1


__all__ = ["register"]
