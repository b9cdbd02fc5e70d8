"""``rrag index``, ``rrag search``, ``rrag similar`` and ``rrag eval``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from rrag.cli.args import add_project_ids, redmine_id
from rrag.cli.context import Context
from rrag.cli.output import print_json
from rrag.retrieval.query import DEFAULT_K, DEFAULT_MODE, MAX_K, MODES, STATUSES

if TYPE_CHECKING:
    from rrag.retrieval import Caller, SearchResults


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("index", help="bring the search index up to date with the store")
    p.add_argument(
        "--rebuild",
        action="store_true",
        help="re-chunk and re-embed everything (after changing the embedder)",
    )
    p.add_argument("--check", action="store_true", help="only report consistency")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("search", help="search issues, notes and wiki pages")
    p.add_argument("text")
    _common(p)
    p.add_argument("--mode", default=DEFAULT_MODE, choices=MODES)
    add_project_ids(p, "only this project (repeatable)")
    p.add_argument("--tracker")
    p.add_argument("--status", choices=STATUSES)
    p.add_argument("--updated-since", metavar="DATE")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("similar", help="likely duplicates of an issue")
    p.add_argument("issue_id", type=redmine_id)
    _common(p)
    p.set_defaults(func=cmd_similar)

    p = sub.add_parser("eval", help="recall/MRR/nDCG of each mode on a labelled query file")
    p.add_argument("--queries", required=True, metavar="FILE.jsonl")
    p.add_argument("--k", type=int, default=DEFAULT_K)
    p.add_argument("--mode", action="append", dest="modes", choices=MODES)
    p.add_argument(
        "--redmine-baseline", action="store_true", help="add a row for Redmine's own /search.json"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval)


def _common(p: argparse.ArgumentParser) -> None:
    # checked by the library (exit 2 with its one-line message), like every other limit
    p.add_argument("--k", type=int, default=DEFAULT_K, help=f"how many results (1..{MAX_K})")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--all",
        action="store_true",
        dest="see_all",
        help="search as an admin: every project, private issues and notes",
    )


def _caller(ctx: Context, see_all: bool) -> Caller:
    from rrag.retrieval import Caller

    if not see_all:
        return Caller.default()
    with ctx.store.engine.connect() as conn:
        ids = frozenset(int(r[0]) for r in conn.exec_driver_sql("SELECT id FROM projects"))
    return Caller(project_ids=ids, see_private=True)


def cmd_index(ctx: Context, args: argparse.Namespace) -> int:
    from rrag.index import IndexUpdater, check_consistency

    if not args.check:
        updater = IndexUpdater(ctx.settings, ctx.store)
        stats = updater.rebuild() if args.rebuild else updater.drain()
        if not args.json:
            print(
                f"indexed: {stats['sources']} sources, +{stats['added']} "
                f"-{stats['removed']} chunks, {stats['repaired']} repaired "
                f"in {stats['seconds']}s"
            )
    report = check_consistency(ctx.settings, ctx.store)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(
            f"index generation {report['index_generation']} (store "
            f"{report['store_generation']}), {report['vectors_in_index']} vectors, "
            f"{report['chunks_in_store']} chunks, {report['provider']} {report['model']}; "
            f"lexical generation {report['lexical_generation']}, "
            f"{report['lexical_in_index']} chunks"
        )
        for problem in report["problems"]:
            print(f"  problem: {problem}")
    return 0 if report["ok"] else 1


def _print_results(payload: SearchResults, as_json: bool) -> None:
    if as_json:
        print_json(payload)
        return
    for n, r in enumerate(payload.results, start=1):
        ref = f"#{r.issue_id}" if r.issue_id is not None else f"wiki {r.wiki_title}"
        print(
            f"{n:>2}. {ref} [{r.status or r.kind}] {r.subject}  "
            f"({r.score:.3f}, {'+'.join(r.matched_by)})"
        )
        print(f"    {r.url}")
        print(f"    {r.snippet}")
    print(f"{len(payload.results)} results, {payload.mode}, {payload.took_ms} ms")
    # a fallback or an empty query says why
    for key, why in (("degraded", payload.degraded), ("note", payload.note)):
        if why:
            print(f"rrag: {key}: {why}", file=sys.stderr)


def cmd_search(ctx: Context, args: argparse.Namespace) -> int:
    retriever = ctx.retriever()
    found = retriever.search(
        args.text,
        k=args.k,
        mode=args.mode,
        caller=_caller(ctx, args.see_all),
        project_ids=args.project_ids,
        tracker=args.tracker,
        status=args.status,
        updated_since=args.updated_since,
    )
    _print_results(found, args.json)
    return 0


def cmd_similar(ctx: Context, args: argparse.Namespace) -> int:
    retriever = ctx.retriever()
    found = retriever.similar(issue_id=args.issue_id, k=args.k, caller=_caller(ctx, args.see_all))
    _print_results(found, args.json)
    return 0


def cmd_eval(ctx: Context, args: argparse.Namespace) -> int:
    from rrag.retrieval.evaluate import evaluate, load_queries, redmine_search, retriever_ranker

    queries = load_queries(args.queries)
    retriever = ctx.retriever()
    rows = []
    for mode in args.modes or list(MODES):
        ranker = retriever_ranker(retriever, mode)
        ranker("warm up", args.k)  # first query loads the index; keep it out of latency
        rows.append(evaluate(mode, ranker, queries, args.k))
    if args.redmine_baseline:
        from rrag.sync.client import build_http

        with build_http(ctx.settings) as http:
            rows.append(evaluate("redmine", redmine_search(http), queries, args.k))
    if args.json:
        print(json.dumps([r.as_dict() for r in rows], indent=2))
        return 0
    print(
        f"{'mode':<10} {'recall@' + str(args.k):>10} {'MRR':>7} {'nDCG':>7} "
        f"{'p50 ms':>8} {'p95 ms':>8}   ({len(queries)} queries)"
    )
    for r in rows:
        print(
            f"{r.name:<10} {r.recall:>10.3f} {r.mrr:>7.3f} {r.ndcg:>7.3f} "
            f"{r.p50_ms:>8.1f} {r.p95_ms:>8.1f}"
        )
    return 0


__all__ = ["register"]
