"""Catching the lexical index up with the store, from the store alone.

The store's chunk rows are the truth. A lexical commit that a crash cut off (the store
committed a batch, tantivy did not) or a lexical index made before this one existed is
repaired by comparing each chunk id's digest (:func:`rrag.index.textindex.digest`) with
the document's: missing or changed chunks are written again, documents of chunks gone
from the store are deleted, then one commit records the store's generation.
"""

from __future__ import annotations

from rrag.index import chunkstore
from rrag.index.textindex import LexicalIndex, LexicalWriter, exists
from rrag.store.db import Store

BATCH = 2048  # chunk rows read per store query


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


__all__ = ["align_lexical", "lexical_generation"]
