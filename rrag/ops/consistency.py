"""Is the live index the one the store expects? One call for ops, health and soak.

Wraps :func:`rrag.index.check_consistency` (generations, counts, exact id sets) with
opening and closing the store, and start-up recovery of an interrupted restore first.
"""

from __future__ import annotations

from typing import Any

from rrag.index import check_consistency
from rrag.ops.swap import recover_restore
from rrag.settings import Settings
from rrag.store.db import Store, open_store


def store_consistency(settings: Settings, store: Store | None = None) -> dict[str, Any]:
    """``check_consistency`` for ``settings``' data dir (opens the store when not given)."""
    if store is not None:
        return check_consistency(settings, store)
    recover_restore(settings.store.data_dir)
    opened = open_store(settings.store.data_dir)
    try:
        return check_consistency(settings, opened)
    finally:
        opened.close()


__all__ = ["store_consistency"]
