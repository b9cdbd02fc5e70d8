"""``rrag guardrails scan|eval|events|review``: the operator's tools for the guardrails.

``scan FILE.jsonl`` runs every guardrail on each input line ``{"id", "text", "where",
"sources"}`` and prints one line per input (``--json``: ``{"id", "flags", "masked_text"}``);
it records no events. ``eval`` scores the guardrails on the labelled red-team suite
(``--split``, :data:`rrag.guardrails.suite.SPLITS`); cases built from BIPIA payloads need
``--bipia-dir``.
``events`` lists what the guardrails recorded (one row per kind, rule and source, with how
often it was seen), filtered by ``--bucket`` and ``--since``. ``review`` groups the
planted-text events by place and says whether each looks like a red-team test or an
attack, and why (:func:`rrag.ops.guardrail_review.triage`).
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rrag.cli.context import Context
from rrag.errors import InputError
from rrag.guardrails.events import KINDS
from rrag.guardrails.scan import WHERES
from rrag.guardrails.suite import SPLITS

_COLUMNS = ("tp", "fp", "tn", "fn", "precision", "recall", "fpr", "balanced_accuracy")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("guardrails", help="scan texts or evaluate the guardrails")
    cmds = p.add_subparsers(dest="guardrails_command", required=True)
    s = cmds.add_parser("scan", help="run the guardrails on each line of a JSONL file")
    s.add_argument("file", type=Path, help='JSONL: {"id", "text", "where", "sources"} a line')
    s.add_argument("--json", action="store_true", help="print one JSON object a line")
    s.set_defaults(func=cmd_scan)
    e = cmds.add_parser("eval", help="score the guardrails on the red-team suite")
    e.add_argument("--split", choices=SPLITS, default="all")
    e.add_argument(
        "--bipia-dir", type=Path, help="BIPIA's attack payload files (*_attack_test.json)"
    )
    e.add_argument("--suite", type=Path, help="another suite file (default: the packaged one)")
    e.add_argument("--json", action="store_true", help="print the report as JSON")
    e.set_defaults(func=cmd_eval)
    v = cmds.add_parser("events", help="list recorded guardrail events, last seen first")
    v.add_argument("--bucket", choices=KINDS, help="only this kind")
    v.add_argument("--since", help="only events seen at or after this ISO time (UTC)")
    v.add_argument("--limit", type=int, default=100, help="at most this many (1..10000)")
    v.add_argument("--json", action="store_true", help="print the events as JSON")
    v.set_defaults(func=cmd_events)
    r = cmds.add_parser("review", help="where planted text was found: red-team test or attack")
    r.add_argument("--since", help="only events seen at or after this ISO time (UTC)")
    r.add_argument(
        "--test-project",
        action="append",
        default=[],
        metavar="IDENTIFIER",
        help="a project that holds red-team tests (repeatable)",
    )
    r.add_argument("--bipia-dir", type=Path, help="BIPIA's payload files, to recognise them")
    r.add_argument("--json", action="store_true", help="print the review as JSON")
    r.set_defaults(func=cmd_review)


def _read_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of ``path`` parsed and checked before anything is printed."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {type(exc).__name__}") from exc
    items = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            raise InputError(f"{path.name} line {number}: not JSON") from None
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise InputError(f'{path.name} line {number}: needs a string "text"')
        if item.get("where", "chunk") not in WHERES:
            raise InputError(
                f'{path.name} line {number}: "where" must be one of {", ".join(WHERES)}'
            )
        sources = item.get("sources", [])
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            raise InputError(f'{path.name} line {number}: "sources" must be a list of strings')
        items.append(item)
    return items


def cmd_scan(ctx: Context, args: argparse.Namespace) -> int:
    from rrag.guardrails.scan import scan

    for item in _read_lines(args.file):
        result = scan(item["text"], item.get("where", "chunk"), item.get("sources", []))
        flags = [{"bucket": f.bucket, "rule": f.rule} for f in result.flags]
        if args.json:
            line = {"id": item.get("id"), "flags": flags, "masked_text": result.masked_text}
            print(json.dumps(line, ensure_ascii=False))
        else:
            names = ", ".join(f"{f['bucket']}:{f['rule']}" for f in flags) or "clean"
            print(f"{item.get('id')}: {names}")
    return 0


def cmd_eval(ctx: Context, args: argparse.Namespace) -> int:
    from rrag.guardrails.evaluate import evaluate
    from rrag.guardrails.suite import load_suite
    from rrag.llm.grounding import unsupported

    if args.bipia_dir is not None and not args.bipia_dir.is_dir():
        raise InputError(f"--bipia-dir is not a directory: {args.bipia_dir}")
    cases, skipped = load_suite(args.bipia_dir, args.split, args.suite)
    report = {
        "split": args.split,
        "cases": len(cases),
        "skipped_bipia": skipped,
        **evaluate(cases, unsupported),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(
        f"split {args.split}: {len(cases)} cases"
        + (f", {skipped} BIPIA cases skipped (no --bipia-dir)" if skipped else "")
    )
    print(f"{'bucket':<28}" + "".join(f"{c[:9]:>10}" for c in _COLUMNS))
    for bucket, score in report["buckets"].items():
        cells = "".join(f"{'-' if score[c] is None else score[c]:>10}" for c in _COLUMNS)
        print(f"{bucket:<28}{cells}")
    for bucket, ids in report["errors"].items():
        print(f"errors in {bucket}: {' '.join(ids)}")
    return 0


def _since(value: str | None) -> str | None:
    """``--since`` as the stored form (ISO, UTC); a bad value is an input error."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"--since must be an ISO date or time, got {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def cmd_events(ctx: Context, args: argparse.Namespace) -> int:
    from rrag.guardrails.events import list_events

    if not 1 <= args.limit <= 10_000:
        raise InputError(f"--limit must be between 1 and 10000, got {args.limit}")
    events = list_events(ctx.store, args.bucket, _since(args.since), args.limit)
    if args.json:
        print(json.dumps(events, indent=2, default=str))
        return 0
    for e in events:
        rule = e["rule"][:40]
        print(f"{e['last_seen_at']}  {e['kind']:<17} {rule:<40} x{e['seen']:<4} {e['source']}")
    if not events:
        print("no guardrail events")
    return 0


def cmd_review(ctx: Context, args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from rrag.ops.guardrail_review import triage

    if args.bipia_dir is not None and not args.bipia_dir.is_dir():
        raise InputError(f"--bipia-dir is not a directory: {args.bipia_dir}")
    reviews = triage(ctx.store, _since(args.since), args.test_project, args.bipia_dir)
    if args.json:
        print(json.dumps([asdict(r) for r in reviews], indent=2))
        return 0
    for r in reviews:
        why = ", ".join(r.reasons) or "-"
        print(
            f"{r.last_seen}  {r.verdict:<8} {r.where:<14} x{r.seen:<4} {why:<28} {r.project or '-'}"
        )
        print(f"    {' '.join(r.rules)}")
    if not reviews:
        print("no planted-text events")
    return 0


__all__ = ["register"]
