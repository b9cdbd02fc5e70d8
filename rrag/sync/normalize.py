"""Turn Redmine's JSON into store rows: filtering, truncation, change summaries, hashes.

Pure functions, no I/O. What never reaches the store is decided here: private notes
(unless ``RRAG_INDEX_PRIVATE``), the full old/new text of changed fields (journals keep a
one-line summary), and text beyond ``RRAG_MAX_TEXT_BYTES`` (cut with a marker). A journal
or issue whose privacy flag is missing counts as private: Redmine always sends it, so its
absence says nothing is known, and unknown means private.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from rrag.store.models import WikiPage

TRUNCATION_MARKER = "\n[truncated by rrag: original text was {size} bytes]"
_SUMMARY_VALUE_MAX = 60


Row = dict[str, Any]


@dataclass
class IssueBundle:
    """One issue with everything stored alongside it."""

    # Plain dicts keyed by column name: constructing SQLModel table objects costs more CPU
    # than everything else a sync does per issue (profiled), and the writer wants dicts.
    issue: Row
    journals: list[Row] = field(default_factory=list)
    attachments: list[Row] = field(default_factory=list)
    relations: list[Row] = field(default_factory=list)
    users: dict[int, str] = field(default_factory=dict)
    truncated: list[str] = field(default_factory=list)


def content_hash(value: Any) -> str:
    blob = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def truncate(text: str | None, max_bytes: int) -> tuple[str, bool]:
    """``text`` cut to ``max_bytes`` UTF-8 bytes plus a marker; and whether it was cut."""
    text = text or ""
    raw = text.encode("utf-8")
    if len(raw) <= max_bytes:
        return text, False
    cut = raw[:max_bytes].decode("utf-8", errors="ignore")
    return cut + TRUNCATION_MARKER.format(size=len(raw)), True


def _ref(obj: Any, key: str = "id") -> Any:
    return obj.get(key) if isinstance(obj, dict) else None


def _short(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= _SUMMARY_VALUE_MAX and "\n" not in text else "…"


def summarize_details(details: list[dict[str, Any]]) -> str:
    """One line per changed field; long values (a description) are never copied."""
    lines = []
    for d in details or []:
        name = f"{d.get('property', 'attr')}.{d.get('name', '?')}"
        old, new = d.get("old_value"), d.get("new_value")
        if d.get("name") == "description" or "…" in (_short(old), _short(new)):
            lines.append(f"{name} changed")
        else:
            lines.append(f"{name}: {_short(old) or '∅'} → {_short(new) or '∅'}")
    return "\n".join(lines)


def _users(raw: dict[str, Any]) -> dict[int, str]:
    found = {}
    for key in ("author", "assigned_to", "user"):
        ref = raw.get(key)
        if isinstance(ref, dict) and ref.get("id") is not None:
            found[int(ref["id"])] = str(ref.get("name", ""))
    return found


def is_private_note(raw: dict[str, Any]) -> bool:
    """Whether a journal's note is private; Redmine always sends ``private_notes``, so a
    journal without it is not known to be public, and unknown means private."""
    return raw.get("private_notes", True) is not False


def _journal(raw: dict[str, Any], issue_id: int, max_bytes: int) -> tuple[Row, bool]:
    notes, cut = truncate(raw.get("notes"), max_bytes)
    journal = dict(
        id=int(raw["id"]),
        issue_id=issue_id,
        user_id=_ref(raw.get("user")),
        notes=notes,
        private_notes=is_private_note(raw),
        created_on=raw.get("created_on"),
        changes=summarize_details(raw.get("details") or []),
    )
    return journal, cut


def issue_bundle(
    raw: dict[str, Any], closed_status_ids: set[int], index_private: bool, max_bytes: int
) -> IssueBundle:
    """Normalise one ``GET /issues/{id}.json?include=...`` body."""
    issue_id = int(raw["id"])
    description, cut = truncate(raw.get("description"), max_bytes)
    status_id = _ref(raw.get("status"))
    bundle = IssueBundle(
        issue=dict(
            id=issue_id,
            project_id=int(raw["project"]["id"]),
            tracker_id=_ref(raw.get("tracker")),
            tracker=_ref(raw.get("tracker"), "name"),
            status_id=status_id,
            status=_ref(raw.get("status"), "name"),
            priority=_ref(raw.get("priority"), "name"),
            subject=str(raw.get("subject") or ""),
            description=description,
            author_id=_ref(raw.get("author")),
            assigned_to_id=_ref(raw.get("assigned_to")),
            category=_ref(raw.get("category"), "name"),
            fixed_version=_ref(raw.get("fixed_version"), "name"),
            parent_id=_ref(raw.get("parent")),
            custom_fields=json.dumps(raw.get("custom_fields") or [], sort_keys=True),
            # Redmine always sends is_private; without it the issue is not known to be public
            is_private=raw.get("is_private", True) is not False,
            is_closed=bool(raw.get("closed_on")) or status_id in closed_status_ids,
            created_on=raw.get("created_on"),
            updated_on=raw.get("updated_on"),
            closed_on=raw.get("closed_on"),
            content_hash="",
        ),
        users=_users(raw),
    )
    if cut:
        bundle.truncated.append(f"issue {issue_id} description")
    for jraw in raw.get("journals") or []:
        bundle.users.update(_users(jraw))
        if is_private_note(jraw) and not index_private:
            continue
        journal, jcut = _journal(jraw, issue_id, max_bytes)
        if jcut:
            bundle.truncated.append(f"journal {journal['id']} notes")
        bundle.journals.append(journal)
    bundle.attachments = [_attachment(a, issue_id) for a in raw.get("attachments") or []]
    bundle.relations = [_relation(r, issue_id) for r in raw.get("relations") or []]
    issue = {k: v for k, v in bundle.issue.items() if k != "content_hash"}
    bundle.issue["content_hash"] = content_hash(
        [issue, bundle.journals, bundle.attachments, bundle.relations]
    )
    return bundle


def _attachment(raw: dict[str, Any], issue_id: int) -> Row:
    return dict(
        id=int(raw["id"]),
        issue_id=issue_id,
        filename=str(raw.get("filename", "")),
        filesize=raw.get("filesize"),
        content_type=raw.get("content_type"),
        description=raw.get("description"),
        author_id=_ref(raw.get("author")),
        created_on=raw.get("created_on"),
    )


def _relation(raw: dict[str, Any], issue_id: int) -> Row:
    return dict(
        id=int(raw["id"]),
        issue_id=issue_id,
        issue_to_id=int(raw["issue_to_id"]),
        relation_type=str(raw.get("relation_type", "relates")),
    )


def wiki_row(raw: dict[str, Any], project_id: int, max_bytes: int) -> tuple[WikiPage, bool]:
    text, cut = truncate(raw.get("text"), max_bytes)
    page = WikiPage(
        project_id=project_id,
        title=str(raw["title"]),
        parent_title=_ref(raw.get("parent"), "title"),
        text=text,
        version=raw.get("version"),
        updated_on=raw.get("updated_on"),
    )
    page.content_hash = content_hash(page.model_dump(exclude={"id", "content_hash"}))
    return page, cut


__all__ = [
    "IssueBundle",
    "content_hash",
    "is_private_note",
    "issue_bundle",
    "summarize_details",
    "truncate",
    "wiki_row",
]
