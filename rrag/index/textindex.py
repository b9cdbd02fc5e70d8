"""The tantivy index on disk (``DATA_DIR/chunks.lexical/``): its schema, reader and writer.

One document per chunk: ``chunk_id`` (the store's row id, never reused), the analysed
``body`` (:data:`rrag.index.lexical.ANALYZER`: the subject
:data:`~rrag.index.lexical.SUBJECT_WEIGHT` times, then the text, so bm25 weighs a term as
FTS5's column weights did, see :mod:`rrag.index.lexical`), and the columns the
filters read (project, privacy, tracker, closed, updated, kind, issue id) plus a
``digest`` of everything indexed, so a catch-up can tell a chunk whose metadata changed
under the same id. One more document, ``chunk_id`` 0, records the store's
``index_generation`` the commit belongs to and the index's :data:`FORMAT`: tantivy's
Python bindings do not expose the commit payload, and a document committed with the
changes is just as atomic (a crash leaves the old commit or the new one, each with its
own generation).

Only :class:`rrag.index.IndexUpdater` writes, under ``index.lock``, through
:class:`rrag.index.lexsync.LexicalWriter` (tantivy's own writer lock in the directory
backs that up). Readers
(:class:`LexicalIndex`) reload by hand when ``meta.json`` changes (a ``stat`` per search,
as for ``chunks.index``), so a commit by another process is seen on the next search.
tantivy creates its files with the process umask: the directory is made 0700 first and
every file in it is made owner-only after each commit and merge.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Mapping
from functools import cache
from hashlib import blake2b
from pathlib import Path
from typing import Any

import numpy as np
import tantivy

from rrag.errors import IndexStateError
from rrag.index import lexical
from rrag.store.files import make_private

LEXICAL_DIR = "chunks.lexical"
META_ID = 0  # chunk ids start at 1 (AUTOINCREMENT): 0 is the generation document
#: the indexing arena, for one indexing thread (tantivy wants at least 15 MB a thread);
#: more only makes fewer, larger segments before merging, and counts against peak RSS
WRITER_HEAP = 48_000_000
#: schema (its version and the subject's weight) and analyzer together: an index of another
#: format is rebuilt from the store by the next indexer run, not misread (3: one body field)
FORMAT = zlib.crc32(f"rrag-lexical-3/{lexical.ANALYZER}/{lexical.SUBJECT_WEIGHT}".encode())
REBUILD = "run `rrag index` (or `rrag index --rebuild`)"
#: the chunk columns a lexical document is made of, besides the id (text: content_hash)
DIGESTED = (
    "project_id",
    "is_private",
    "tracker",
    "is_closed",
    "kind",
    "issue_id",
    "updated_on",
    "subject",
    "content_hash",
)


def lexical_dir(data_dir: Path) -> Path:
    return Path(data_dir) / LEXICAL_DIR


@cache
def schema() -> tantivy.Schema:
    name, raw = lexical.ANALYZER, "raw"
    return (
        tantivy.SchemaBuilder()
        .add_integer_field("chunk_id", indexed=True, fast=True)
        .add_text_field("body", tokenizer_name=name, index_option="freq")
        .add_integer_field("project_id", indexed=True, fast=True)
        .add_boolean_field("is_private", indexed=True)
        .add_text_field("tracker", tokenizer_name=raw, index_option="basic")
        .add_boolean_field("is_closed", indexed=True)
        .add_integer_field("updated", indexed=True, fast=True)
        .add_text_field("kind", tokenizer_name=raw, index_option="basic")
        .add_integer_field("issue_id", indexed=True)
        .add_integer_field("digest", fast=True)
        .add_integer_field("generation", fast=True)
        .add_integer_field("format", fast=True)
        .build()
    )


def digest(row: Mapping[str, Any]) -> int:
    """A 56-bit digest of what a chunk's document holds besides its id (fits an i64).

    The same for a chunk row read back from SQLite (booleans as 0/1) and ``Chunk.row()``.
    """
    values = [row.get(c) for c in DIGESTED]
    values[1], values[3] = int(bool(values[1])), int(bool(values[3]))  # the two booleans
    text = "\x1f".join("" if v is None else str(v) for v in values)
    return int.from_bytes(blake2b(text.encode(), digest_size=7).digest(), "big")


def document(chunk_id: int, row: Mapping[str, Any]) -> tantivy.Document:
    """The document of chunk ``chunk_id`` from its row (a chunk row or ``Chunk.row()``)."""
    doc = tantivy.Document()
    doc.add_integer("chunk_id", int(chunk_id))
    for _ in range(lexical.SUBJECT_WEIGHT):  # one field: weighted tf, one length, one idf
        doc.add_text("body", row.get("subject") or "")
    doc.add_text("body", row.get("text") or "")
    doc.add_integer("project_id", int(row["project_id"]))
    doc.add_boolean("is_private", bool(row.get("is_private")))
    doc.add_text("tracker", (row.get("tracker") or "").lower())
    doc.add_boolean("is_closed", bool(row.get("is_closed")))
    updated = lexical.epoch(row.get("updated_on"))
    if updated is not None:
        doc.add_integer("updated", updated)
    doc.add_text("kind", str(row.get("kind") or ""))
    if row.get("issue_id") is not None:
        doc.add_integer("issue_id", int(row["issue_id"]))
    doc.add_integer("digest", digest(row))
    return doc


def open_index(path: Path) -> tantivy.Index:
    try:
        index = tantivy.Index.open(str(path))
    except (ValueError, OSError) as exc:
        raise IndexStateError(
            f"the lexical index at {path} cannot be opened ({exc}): {REBUILD}", path=str(path)
        ) from None
    index.register_tokenizer(lexical.ANALYZER, lexical.analyzer())
    tighten(path)  # opening creates tantivy's .tantivy-meta.lock, with the umask's mode
    return index


def tighten(path: Path) -> None:
    """Make every file tantivy wrote in ``path`` owner-only (it uses the umask)."""
    for entry in os.scandir(path):
        make_private(Path(entry.path))


def exists(path: Path) -> bool:
    """Whether ``path`` holds a tantivy index (tantivy raises on a missing directory)."""
    return Path(path).is_dir() and tantivy.Index.exists(str(path))


def signature(path: Path) -> tuple[int, ...]:
    """Changes with every commit (tantivy replaces ``meta.json``); () without an index."""
    try:
        st = (Path(path) / "meta.json").stat()
    except FileNotFoundError:
        return ()
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class LexicalIndex:
    """A reader of the lexical index; safe to share across threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not exists(self.path):
            raise IndexStateError(f"no lexical index at {self.path}: {REBUILD}", path=str(path))
        self.index = open_index(self.path)
        self.index.config_reader("manual")  # reloaded by the caller, on a meta.json change
        self._view = self._snapshot()

    def _snapshot(self) -> tuple[tantivy.Searcher, frozenset[int], bool]:
        """A searcher, the projects its commit holds and whether it is of this
        :data:`FORMAT`, replaced together on reload (a search must never pair a newer
        commit with an older list of projects)."""
        searcher = self.index.searcher()
        agg = {"p": {"terms": {"field": "project_id", "size": 1_000_000}}}
        buckets = searcher.aggregate(tantivy.Query.all_query(), agg)["p"]["buckets"]
        current = self._meta(searcher, "format") == FORMAT
        return searcher, frozenset(int(b["key"]) for b in buckets), current

    def reload(self) -> None:
        """See the latest commit (a writer's merge may remove files meanwhile: retried).

        An index of another format is opened afresh: its rebuild replaced the directory,
        and a tantivy index keeps the schema it was opened with.
        """
        if not self._view[2]:
            self.index = open_index(self.path)
            self.index.config_reader("manual")
        for attempt in range(3):
            try:
                self.index.reload()
                break
            except ValueError:
                if attempt == 2:
                    raise
        self._view = self._snapshot()

    def _meta(self, searcher: tantivy.Searcher, field: str) -> int | None:
        query = tantivy.Query.term_query(schema(), "chunk_id", META_ID)
        hits = searcher.search(query, 1, count=False).hits
        if not hits:
            return None
        value = searcher.fast_field_values(field, [hits[0][1]])[0]
        return None if value is None else int(value)

    def generation(self) -> int | None:
        """The store generation of the last commit; None when unknown or of another format."""
        searcher = self.index.searcher()
        if self._meta(searcher, "format") != FORMAT:
            return None
        return self._meta(searcher, "generation")

    def contents(self) -> dict[int, int]:
        """Every chunk id held, with its digest (for checks and catch-ups, not searches)."""
        searcher = self.index.searcher()
        hits = searcher.search(tantivy.Query.all_query(), max(searcher.num_docs, 1), count=False)
        addresses = [address for _, address in hits.hits]
        ids = searcher.fast_field_values("chunk_id", addresses)
        digests = searcher.fast_field_values("digest", addresses)
        return {
            int(i): int(d or 0)
            for i, d in zip(ids, digests, strict=True)
            if i is not None and i != META_ID
        }

    def chunk_ids(self) -> np.ndarray:
        return np.array(sorted(self.contents()), np.int64)

    def search(
        self, query: str, limit: int, filters: lexical.Rules, projects: frozenset[int]
    ) -> list[tuple[int, float]]:
        """Top ``limit`` (chunk id, bm25) of the loaded commit that ``filters`` admit."""
        searcher, present, current = self._view
        if not current:  # caught up by the next indexer run
            raise IndexStateError(
                f"the lexical index at {self.path} is of another format: {REBUILD}",
                path=str(self.path),
            )
        return lexical.search(searcher, schema(), query, limit, filters, (projects, present))


__all__ = [
    "DIGESTED",
    "FORMAT",
    "LEXICAL_DIR",
    "META_ID",
    "WRITER_HEAP",
    "LexicalIndex",
    "digest",
    "document",
    "exists",
    "lexical_dir",
    "open_index",
    "schema",
    "signature",
    "tighten",
]
