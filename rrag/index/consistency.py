"""Is the saved vector index the one the store expects? (for ops, health and tests)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import text

from rrag.errors import IndexStateError
from rrag.index import chunkstore
from rrag.index.manifest import REBUILD_HINT, read_manifest
from rrag.index.updater import store_generation
from rrag.index.vectors import load
from rrag.settings import Settings
from rrag.store.db import Store


def check_consistency(settings: Settings, store: Store) -> dict[str, Any]:
    """Compare store and index: generations, counts, and the exact id sets.

    Returns ``ok``, ``store_generation``, ``index_generation``, ``chunks_in_store``,
    ``vectors_expected`` (every slot of every chunk), ``vectors_in_index``, ``queued``,
    ``provider``, ``model``, ``dim`` and ``problems`` (one readable line each, naming the
    repair command).
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


__all__ = ["check_consistency"]
