"""Are the saved vector and lexical indexes the ones the store expects? (for ops, health
and tests)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import text

from rrag.errors import IndexStateError
from rrag.index import chunkstore
from rrag.index.manifest import REBUILD_HINT, read_manifest
from rrag.index.textindex import LexicalIndex, lexical_dir
from rrag.index.updater import store_generation
from rrag.index.vectors import load
from rrag.settings import Settings
from rrag.store.db import Store


def check_consistency(settings: Settings, store: Store) -> dict[str, Any]:
    """Compare store and index: generations, counts, and the exact id sets.

    Returns ``ok``, ``store_generation``, ``index_generation``, ``chunks_in_store``,
    ``vectors_expected`` (every slot of every chunk), ``vectors_in_index``, ``queued``,
    ``provider``, ``model``, ``dim``, ``lexical_generation``, ``lexical_in_index``
    (documents) and ``problems`` (one readable line each, naming the repair command).
    """
    with store.session() as session:
        chunks = int(session.execute(text("SELECT COUNT(*) FROM chunks")).scalar_one())
        ids = np.array(chunkstore.vector_ids(session), np.int64)
        queued = int(session.execute(text("SELECT COUNT(*) FROM index_queue")).scalar_one())
    report: dict[str, Any] = {
        "ok": False,
        "store_generation": store_generation(store),
        "index_generation": None,
        "chunks_in_store": chunks,
        "vectors_expected": len(ids),
        "vectors_in_index": 0,
        "queued": queued,
        "provider": None,
        "model": None,
        "dim": None,
        "problems": [],
    }
    problems: list[str] = report["problems"]
    _check_lexical(settings, store, report)
    paths = settings.store
    try:
        manifest = read_manifest(paths.index_path)
        vectors = load(paths.index_path)
    except IndexStateError as exc:
        if len(ids) or paths.index_path.exists():
            problems.append(str(exc))
        report["ok"] = not problems
        return report
    report.update(
        index_generation=manifest.generation,
        vectors_in_index=vectors.count,
        provider=manifest.provider,
        model=manifest.model,
        dim=manifest.dim,
    )
    if manifest.generation != report["store_generation"]:
        problems.append(
            f"index generation {manifest.generation} != store generation "
            f"{report['store_generation']}: run `rrag index` to catch up"
        )
    missing = np.setdiff1d(ids, vectors.ids()).size
    extra = np.setdiff1d(vectors.ids(), ids).size
    if missing or extra:
        problems.append(
            f"{missing} vectors the store's chunks need are missing and {extra} vectors "
            f"belong to no chunk: "
            f"run `rrag index` (or {REBUILD_HINT[4:]})"
        )
    report["ok"] = not problems
    return report


def _check_lexical(settings: Settings, store: Store, report: dict[str, Any]) -> None:
    """The lexical side: its generation, and the exact chunk-id sets and digests."""
    report.update(lexical_generation=None, lexical_in_index=0)
    with store.session() as session:
        expected = chunkstore.lexical_digests(session)
    try:
        index = LexicalIndex(lexical_dir(settings.store.data_dir))
        generation, held = index.generation(), index.contents()
    except IndexStateError as exc:
        if expected:
            report["problems"].append(str(exc))
        return
    report.update(lexical_generation=generation, lexical_in_index=len(held))
    if generation != report["store_generation"]:
        report["problems"].append(
            f"lexical index generation {generation} != store generation "
            f"{report['store_generation']}: run `rrag index` to catch up"
        )
    missing = len(expected.keys() - held.keys())
    extra = len(held.keys() - expected.keys())
    stale = sum(1 for i, d in expected.items() if i in held and held[i] != d)
    if missing or extra or stale:
        report["problems"].append(
            f"{missing} chunks are missing from the lexical index, {extra} documents belong "
            f"to no chunk and {stale} are out of date: run `rrag index` (or {REBUILD_HINT[4:]})"
        )


__all__ = ["check_consistency"]
