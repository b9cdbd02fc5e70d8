"""Writing the lexical index: its one writer, and catching it up with the store.

:class:`LexicalWriter` is the only writer (its holder holds ``index.lock``). The store's
chunk rows are the truth. A lexical commit that a crash cut off (the store
committed a batch, tantivy did not) or a lexical index made before this one existed is
repaired by comparing each chunk id's digest (:func:`rrag.index.textindex.digest`) with
the document's: missing or changed chunks are written again, documents of chunks gone
from the store are deleted, then one commit records the store's generation.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import tantivy

from rrag.errors import IndexStateError
from rrag.index import chunkstore, lexical
from rrag.index.textindex import (
    FORMAT,
    META_ID,
    WRITER_HEAP,
    LexicalIndex,
    document,
    exists,
    open_index,
    schema,
    tighten,
)
from rrag.logs import get_logger, log_event
from rrag.store.db import Store
from rrag.store.files import private_dir

log = get_logger("index.lexsync")

BATCH = 2048  # chunk rows read per store query


def _usable(path: Path) -> bool:
    """No index yet, or one this rrag can open, of this :data:`FORMAT`."""
    if not exists(path):
        return not any(path.iterdir())
    try:
        return LexicalIndex(path).generation() is not None
    except (IndexStateError, ValueError):
        return False


class LexicalWriter:
    """The one writer of the lexical index (hold ``index.lock``); a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = private_dir(Path(path))
        if not _usable(self.path):
            # the store is the source of truth: a damaged index, or one of another format
            # (analyzer), is started over and caught up from it by the caller
            shutil.rmtree(self.path)
            private_dir(self.path)
        if exists(self.path):
            self.index = open_index(self.path)
        else:
            self.index = tantivy.Index(schema(), path=str(self.path))
            self.index.register_tokenizer(lexical.ANALYZER, lexical.analyzer())
        # one indexing thread: the machine's other core serves searches meanwhile
        self._writer = self.index.writer(WRITER_HEAP, 1)
        #: documents added or replaced since the last commit
        self.pending = 0
        # a writer killed mid-commit leaves files no commit refers to (tantivy lists them
        # in .managed.json first); the opstamps restart from the last commit, so the next
        # commit would meet one of them under its own name (FileAlreadyExists)
        self._writer.garbage_collect_files()

    def put(self, rows: Iterable[tuple[int, Mapping[str, Any]]]) -> int:
        """Add (or replace) the documents of these chunks; returns how many."""
        count = 0
        for chunk_id, row in rows:
            self._writer.delete_documents_by_term("chunk_id", int(chunk_id))
            self._writer.add_document(document(chunk_id, row))
            count += 1
        self.pending += count
        return count

    def delete(self, chunk_ids: Iterable[int]) -> None:
        for chunk_id in chunk_ids:
            self._writer.delete_documents_by_term("chunk_id", int(chunk_id))

    def clear(self) -> None:
        self._writer.delete_all_documents()

    def commit(self, generation: int) -> None:
        """Publish the changes with ``generation`` in the same commit, durably."""
        self._writer.delete_documents_by_term("chunk_id", META_ID)
        meta = tantivy.Document()
        meta.add_integer("chunk_id", META_ID)
        meta.add_integer("generation", int(generation))
        meta.add_integer("format", FORMAT)
        self._writer.add_document(meta)
        self._writer.commit()
        self.pending = 0
        tighten(self.path)

    def close(self) -> None:
        """Let background merges finish (nothing changes the directory after this)."""
        self._writer.wait_merging_threads()
        tighten(self.path)

    def __enter__(self) -> LexicalWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self._writer.rollback()  # uncommitted changes go; the last commit stays
        self.close()


def lexical_generation(writer: LexicalWriter) -> int | None:
    """The generation of the writer's last commit (None: nothing committed yet)."""
    if not exists(writer.path):
        return None
    return LexicalIndex(writer.path).generation()


def align_lexical(writer: LexicalWriter, store: Store, generation: int) -> tuple[int, int]:
    """Make the lexical index hold exactly the store's chunks, committed at ``generation``
    (the caller holds ``index.lock``, so neither changes meanwhile); returns
    (written, deleted)."""
    held = LexicalIndex(writer.path).contents() if exists(writer.path) else {}
    with store.session() as session:
        expected = chunkstore.lexical_digests(session)
        stale = sorted(i for i, d in expected.items() if held.get(i) != d)
        for start in range(0, len(stale), BATCH):
            writer.put(chunkstore.chunk_rows(session, stale[start : start + BATCH]).items())
    extra = [i for i in held if i not in expected]
    writer.delete(extra)
    writer.commit(generation)
    return len(stale), len(extra)


def catch_up(writer: LexicalWriter, store: Store, generation: int) -> int:
    """Make the lexical index the store's chunks at ``generation`` (the store's, read under
    ``index.lock``) unless it already is; returns how many documents changed."""
    before = lexical_generation(writer)
    if before == generation:
        return 0
    written, deleted = align_lexical(writer, store, generation)
    log_event(
        log,
        "lexical_caught_up",
        note=(
            f"built the lexical index from the store's {written} chunks"
            if before is None
            else "caught the lexical index up with the store"
        ),
        written=written,
        deleted=deleted,
        from_generation=before,
        to_generation=generation,
    )
    return written + deleted


__all__ = ["LexicalWriter", "align_lexical", "catch_up", "lexical_generation"]
