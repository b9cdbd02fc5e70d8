"""Cutting store rows into chunks: what gets indexed, with which metadata and URL.

One chunk per issue (subject + description), one per journal that has a note (a field
change summary rides along as one line, never the full old/new text), one for what the
LLM extracted from the issue (:mod:`rrag.extract`: summary, symptoms, fix ...; private
when the issue is), and wiki pages split by headings with a size cap. Every chunk
carries what retrieval filters on (project, privacy, tracker, status, ``updated_on``), a
content hash and a URL back into Redmine. It also says which texts of a chunk get
vectors (:func:`vector_texts`) and where they sit in FAISS (``SLOT_SHIFT``). Pure
functions: the caller reads the rows and writes the chunks.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import quote

from rrag.store.models import Issue, Journal, Project, WikiPage

WIKI_MAX_CHARS = 1500
_HEADING = re.compile(r"^(?:h[1-6]\.\s|#{1,6}\s)", re.MULTILINE)


@dataclass
class Chunk:
    """One indexable piece of text and everything needed to filter and cite it."""

    source_kind: str  # "issue" | "wiki"
    source_id: int
    kind: str  # "issue" | "note" | "extract" | "wiki"
    project_id: int
    text: str
    url: str
    subject: str = ""
    issue_id: int | None = None
    journal_id: int | None = None
    wiki_title: str | None = None
    is_private: bool = False
    tracker: str | None = None
    status: str | None = None
    is_closed: bool = False
    category: str | None = None
    fixed_version: str | None = None
    updated_on: str | None = None
    content_hash: str = ""

    def row(self) -> dict[str, object]:
        # a shallow copy: dataclasses.asdict deep-copies every field, a hot spot at scale
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def embed_text(chunk: Chunk) -> str:
    """The text an embedder sees: subject and area first, then the body."""
    if chunk.kind == "issue":
        head = " · ".join(x for x in (chunk.tracker, chunk.category) if x)
        return f"{chunk.subject}\n{head}\n{chunk.text}".strip()
    return f"{chunk.subject}\n{chunk.text}".strip()


#: A chunk's vectors live in FAISS at ``chunk_id | slot << SLOT_SHIFT`` (chunk ids, SQLite
#: rowids, stay far below 2**40): slot 0 embeds :func:`embed_text`, slot 1 an issue's
#: subject alone (:func:`vector_texts`).
SLOT_SHIFT = 40
SLOTS = 2
CHUNK_ID_MASK = (1 << SLOT_SHIFT) - 1
#: :func:`has_subject_vector` as SQL over ``chunks``, for counting expected vectors in the store
SUBJECT_VECTOR_SQL = "kind = 'issue' AND COALESCE(subject, '') <> ''"


def has_subject_vector(kind: str, subject: str | None) -> bool:
    return kind == "issue" and bool(subject)


def vector_texts(chunk: Chunk) -> list[str]:
    """What the embedder sees for one chunk, one text per FAISS slot.

    Slot 0 is :func:`embed_text`. An issue's own chunk also gets slot 1, its subject alone,
    and scores the better of its two vectors: the subject is the part people paraphrase,
    and in the whole-chunk vector the tracker, category and description dilute it
    (measured in benchmarks/RESULTS.md, "subject vectors").
    """
    main = embed_text(chunk)
    return [main, chunk.subject] if has_subject_vector(chunk.kind, chunk.subject) else [main]


def vector_entries(chunks: Iterable[tuple[int, Chunk]]) -> tuple[list[int], list[str]]:
    """FAISS ids and texts to embed for ``(chunk id, chunk)`` pairs, every slot."""
    ids: list[int] = []
    texts: list[str] = []
    for chunk_id, chunk in chunks:
        for slot, text in enumerate(vector_texts(chunk)):
            ids.append(chunk_id | slot << SLOT_SHIFT)
            texts.append(text)
    return ids, texts


def note_url(base: str, issue_id: int, journal_id: int) -> str:
    """A link to one journal: Redmine gives every journal the anchor ``change-<id>``.

    Not ``#note-N``: N counts the journals the *viewer* sees, and the store may hold fewer
    (private notes dropped), so a counted anchor can point at someone else's note.
    """
    return f"{base}/issues/{issue_id}#change-{journal_id}"


#: an extraction's fields (rrag.extract.schema) as its chunk labels them, in this order
EXTRACT_LABELS = (
    ("summary", "Summary"),
    ("symptoms", "Symptoms"),
    ("error_signatures", "Error signatures"),
    ("root_cause", "Root cause"),
    ("resolution", "Resolution"),
    ("affected_components", "Affected components"),
    ("workaround", "Workaround"),
)


def extract_text(fields: dict[str, Any]) -> str:
    """An extraction as chunk text: one ``Label: value`` line per non-empty field.

    A value an earlier field already gave (same words, any case or spacing) is left out:
    a model that repeats one sentence in every field would otherwise multiply its words'
    weight in the lexical ranking without saying anything more.
    """
    seen: set[str] = set()
    lines = []
    for key, label in EXTRACT_LABELS:
        value = fields.get(key)
        fresh = []
        for item in value if isinstance(value, list) else [value]:
            said = " ".join(str(item or "").split())
            if said and said.lower() not in seen:
                seen.add(said.lower())
                fresh.append(said)
        if fresh:
            lines.append(f"{label}: {'; '.join(fresh)}")
    return "\n".join(lines)


def issue_chunks(
    issue: Issue,
    journals: list[Journal],
    base_url: str,
    extraction: dict[str, Any] | None = None,
) -> list[Chunk]:
    """The issue's own chunk, one per journal with a note (in journal order), then one for
    the issue's extraction when there is one (cited with the issue's URL)."""
    base = base_url.rstrip("/")
    common: dict[str, Any] = {
        "source_kind": "issue",
        "source_id": issue.id,
        "issue_id": issue.id,
        "project_id": issue.project_id,
        "subject": issue.subject,
        "tracker": issue.tracker,
        "status": issue.status,
        "is_closed": bool(issue.is_closed),
        "category": issue.category,
        "fixed_version": issue.fixed_version,
        "updated_on": issue.updated_on,
    }
    body = issue.description or ""
    chunks = [
        Chunk(
            kind="issue",
            text=body,
            url=f"{base}/issues/{issue.id}",
            is_private=bool(issue.is_private),
            content_hash=_hash(f"{issue.subject}\n{body}"),
            **common,
        )
    ]
    for journal in sorted(journals, key=lambda j: (j.created_on or "", j.id)):
        if not (journal.notes or "").strip():
            continue  # a journal that only changes fields gets no chunk
        text = journal.notes.strip()
        if journal.changes:
            text += "\n(" + "; ".join(journal.changes.splitlines()) + ")"
        chunks.append(
            Chunk(
                kind="note",
                text=text,
                url=note_url(base, issue.id, journal.id),
                journal_id=journal.id,
                content_hash=_hash(text),
                is_private=bool(issue.is_private or journal.private_notes),
                **common,
            )
        )
    extracted = extract_text(extraction or {})
    if extracted:
        chunks.append(
            Chunk(
                kind="extract",
                text=extracted,
                url=f"{base}/issues/{issue.id}",
                content_hash=_hash(extracted),
                is_private=bool(issue.is_private),
                **common,
            )
        )
    return chunks


def split_wiki(text: str, max_chars: int = WIKI_MAX_CHARS) -> list[str]:
    """Sections at headings, each cut at paragraph (then hard) boundaries under the cap."""
    starts = [m.start() for m in _HEADING.finditer(text)]
    bounds = sorted({0, *starts, len(text)})
    sections = [text[a:b].strip() for a, b in itertools.pairwise(bounds)]
    pieces: list[str] = []
    for section in filter(None, sections):
        pieces += _cap(section, max_chars)
    return pieces or [""]


def _cap(section: str, max_chars: int) -> list[str]:
    out, current = [], ""
    for para in re.split(r"\n\s*\n", section):
        while len(para) > max_chars:  # one huge paragraph: hard cut
            if current:
                out.append(current)
                current = ""
            out.append(para[:max_chars])
            para = para[max_chars:]
        if current and len(current) + len(para) + 2 > max_chars:
            out.append(current)
            current = para
        else:
            current = f"{current}\n\n{para}" if current else para
    if current.strip():
        out.append(current)
    return out


def wiki_chunks(page: WikiPage, project: Project, base_url: str) -> list[Chunk]:
    assert page.id is not None
    url = f"{base_url.rstrip('/')}/projects/{project.identifier}/wiki/{quote(page.title)}"
    return [
        Chunk(
            source_kind="wiki",
            source_id=page.id,
            kind="wiki",
            project_id=page.project_id,
            text=piece,
            url=url,
            subject=page.title.replace("_", " "),
            wiki_title=page.title,
            updated_on=page.updated_on,
            content_hash=_hash(piece),
        )
        for piece in split_wiki(page.text or "")
    ]


__all__ = [
    "CHUNK_ID_MASK",
    "EXTRACT_LABELS",
    "SLOTS",
    "SLOT_SHIFT",
    "SUBJECT_VECTOR_SQL",
    "WIKI_MAX_CHARS",
    "Chunk",
    "embed_text",
    "extract_text",
    "has_subject_vector",
    "issue_chunks",
    "note_url",
    "split_wiki",
    "vector_entries",
    "vector_texts",
    "wiki_chunks",
]
