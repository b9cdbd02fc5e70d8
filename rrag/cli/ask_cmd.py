"""``rrag ask QUESTION``: an answer quoted from the synced issues, with citations."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from rrag.cli.args import add_project_ids
from rrag.cli.context import Context
from rrag.cli.output import print_json
from rrag.retrieval.query import DEFAULT_ASK_K, MAX_K

if TYPE_CHECKING:
    from rrag.llm import Answer, Source


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="answer a question from the synced issues (with citations)")
    p.add_argument("question")
    p.add_argument(
        "--k", type=int, default=DEFAULT_ASK_K, help=f"issues to answer from (1..{MAX_K})"
    )
    add_project_ids(p, "only this project (repeatable)")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.add_argument(
        "--all",
        action="store_true",
        dest="see_all",
        help="answer as an admin: every project, private issues and notes",
    )
    p.set_defaults(func=cmd_ask)


def cmd_ask(ctx: Context, args: argparse.Namespace) -> int:
    from rrag.cli.index_cmds import _caller  # the same visibility as `rrag search`
    from rrag.llm import ask, open_answerer

    retriever = ctx.retriever()
    caller = _caller(ctx, args.see_all)
    answerer = open_answerer(ctx.settings, retriever.embedder.provider)
    try:
        result = ask(
            ctx.store, retriever.search, args.question, args.k, caller, args.project_ids, answerer
        )
    finally:
        answerer.close()
    if args.json:
        print_json(result)
        return 0
    _print_text(result)
    return 0


def _label(source: Source) -> str:
    if source.issue_id is None:
        return f"wiki {source.wiki_title or source.subject or ''}".strip()
    return f"#{source.issue_id} {source.subject or ''}".strip()


def _print_text(result: Answer) -> None:
    print(result.answer)
    # keyed by URL: wiki pages have no issue id, and a note's URL is its issue's + #change-N
    # (a source led by a note has the note's URL; a note cited from an issue's source not)
    labels = {s.url.split("#", 1)[0]: _label(s) for s in result.sources}
    for citation in result.citations:
        label = labels.get(citation.url.split("#", 1)[0], "")
        print(f"  [{citation.ref}] {label}: {citation.url}")
    if result.fallback_reason:
        print(f"  (quoted, not generated: {result.fallback_reason})")


__all__ = ["register"]
