"""Turning fused chunk hits into per-issue results with snippets.

Hits are grouped per issue (per page for wiki chunks): the best chunk leads the result
and gives its URL and snippet, other matching chunks ride along in ``chunks``, so one
long issue cannot fill the top k.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rrag.guardrails.secrets import mask_secrets
from rrag.index.lexical import highlight

SNIPPET_CHARS = 240
MAX_ATTACHED = 3


def snippet(text: str, query: str, size: int = SNIPPET_CHARS) -> str:
    """A window of ``text`` around the first query word, words marked ``**like this**``
    where they match as the search matches them (:func:`rrag.index.lexical.highlight`)."""
    flat = " ".join(text.split())
    first = highlight(flat, query, limit=1)
    start = max(0, (first[0][0] if first else 0) - size // 3)
    window = flat[start : start + size]
    marked, at = [], 0
    for begin, end in highlight(window, query):
        marked += [window[at:begin], "**", window[begin:end], "**"]
        at = end
    window = "".join(marked) + window[at:]
    if start > 0:
        window = "…" + window
    if start + size < len(flat):
        window += "…"
    return window


def _group_key(row: dict[str, Any]) -> tuple[str, int]:
    if row["issue_id"] is not None:
        return ("issue", int(row["issue_id"]))
    return ("wiki", int(row["source_id"]))


def issue_leads(
    hits: list[tuple[int, float]],
    rows: dict[int, dict[str, Any]],
    says: Callable[[list[int]], dict[int, set[str]]],
) -> list[tuple[int, float]]:
    """Let an issue's own chunk lead its result unless a note adds something to it.

    A note's chunk carries its issue's subject, and bm25 prefers the shorter of two rows
    that match the same words, so a one-line note can outrank its issue on a query the
    issue answers as well; the citation would then point at a note that adds nothing. A
    note keeps the lead only when its own text matches a query term the issue's own text
    does not (``says``: chunk ids -> matched terms, :func:`rrag.index.lexical.body_terms`);
    otherwise the issue's chunk, when it is among the hits, takes the note's place and
    score, and the note follows it.
    """
    pairs = _note_leads(hits, rows)
    if not pairs:
        return hits
    terms = says([i for pair in pairs.values() for i in pair])
    out = list(hits)
    for note, own in pairs.values():
        if terms.get(note, set()) - terms.get(own, set()):
            continue  # the note says something its issue does not: it leads
        pos = next(p for p, (i, _) in enumerate(out) if i == note)
        score = out[pos][1]
        out = [h for h in out if h[0] != own]
        out.insert(pos, (own, score))
    return out


def _note_leads(
    hits: list[tuple[int, float]], rows: dict[int, dict[str, Any]]
) -> dict[int, tuple[int, int]]:
    """Issue id -> (its leading note's chunk, its own chunk) where a note is first."""
    lead: dict[int, int] = {}
    own: dict[int, int] = {}
    for chunk_id, _ in hits:
        row = rows.get(chunk_id)
        if row is None or row["issue_id"] is None:
            continue
        issue_id = int(row["issue_id"])
        lead.setdefault(issue_id, chunk_id)
        if row["kind"] == "issue":
            own.setdefault(issue_id, chunk_id)
    return {i: (c, own[i]) for i, c in lead.items() if rows[c]["kind"] == "note" and i in own}


def finders(
    lex: list[tuple[int, float]],
    vec: list[tuple[int, float]],
    referenced: bool,
    fused: list[tuple[int, float]],
) -> dict[int, set[str]]:
    """Which retrievers found each chunk; a referenced issue's chunk (first) says so."""
    found_by: dict[int, set[str]] = {}
    for name, hits in (("lexical", lex), ("vector", vec)):
        for chunk_id, _ in hits:
            found_by.setdefault(chunk_id, set()).add(name)
    if referenced:
        found_by.setdefault(fused[0][0], set()).add("reference")
    return found_by


def group(
    hits: list[tuple[int, float]],
    rows: dict[int, dict[str, Any]],
    found_by: dict[int, set[str]],
    projects: dict[int, str],
    query: str,
    k: int,
) -> list[dict[str, Any]]:
    """At most ``k`` results, one per issue or wiki page, best first."""
    results: dict[tuple[str, int], dict[str, Any]] = {}
    for chunk_id, score in hits:
        row = rows.get(chunk_id)
        if row is None:  # deleted since the index was loaded
            continue
        key = _group_key(row)
        entry = {
            "chunk_id": chunk_id,
            "kind": row["kind"],
            "url": row["url"],
            "score": round(score, 6),
        }
        if key in results:
            result = results[key]
            result["matched_by"] = sorted({*result["matched_by"], *found_by.get(chunk_id, ())})
            if len(result["chunks"]) < MAX_ATTACHED + 1:
                result["chunks"].append(entry)
            continue
        if len(results) >= k:
            continue
        body = row["text"] or row["subject"]
        results[key] = {
            "issue_id": row["issue_id"],
            "subject": mask_secrets(row["subject"] or "")[0],  # a search never shows a secret
            "project_id": row["project_id"],
            "project": projects.get(row["project_id"]),
            "tracker": row["tracker"],
            "status": row["status"],
            "kind": row["kind"],
            "wiki_title": row["wiki_title"],
            "score": round(score, 6),
            "url": row["url"],
            "snippet": snippet(mask_secrets(body)[0], query),  # masked before it is cut
            "matched_by": sorted(found_by.get(chunk_id, ())),
            "chunks": [entry],
        }
    return list(results.values())


__all__ = ["finders", "group", "issue_leads", "snippet"]
