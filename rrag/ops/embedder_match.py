"""Does a snapshot's vector index fit the configured embedder? Decided before a restore.

A snapshot's ``chunks.index`` holds vectors of one embedder (its manifest records provider,
model and dimension). Restored under a configuration that embeds queries with another
embedder, vector search fails (and hybrid loses its vector side) until the index is
rebuilt, so :func:`rrag.ops.restore.restore` refuses such a snapshot unless told to go
ahead, and then says which rebuild is needed.

The configured embedder is described from the settings alone, without loading a model or
calling Ollama (a restore must not depend on either being up): ``hashing`` fixes its
dimension in the settings; for ``sentence-transformers`` and ``ollama`` the model name
fixes it, so provider and model are compared and the dimension is not.
"""

from __future__ import annotations

from typing import Any

from rrag.settings import Settings

REBUILD_COMMAND = "rrag index --rebuild"


def configured_embedder(settings: Settings) -> dict[str, Any]:
    """``{"provider", "model", "dim"}`` of the embedder these settings build (dim may be None)."""
    # imported here: rrag.index loads FAISS and numpy, which parsing the CLI must not
    from rrag.index.embedders import semantic_available
    from rrag.index.hashing import HashingEmbedder

    cfg = settings.embedding
    provider = cfg.provider
    if provider == "auto":  # resolved exactly as rrag.index.embedders.make_embedder does
        provider = "sentence-transformers" if semantic_available(cfg.model) else "hashing"
    if provider == "hashing":
        return {"provider": provider, "model": HashingEmbedder.model, "dim": cfg.dim}
    return {"provider": provider, "model": cfg.model, "dim": None}


def embedder_mismatch(
    snapshot: dict[str, Any] | None, configured: dict[str, Any]
) -> dict[str, Any] | None:
    """What differs between the snapshot's embedder and the configured one (None: they fit).

    A snapshot without an index (``snapshot`` None) fits any configuration: ``rrag index``
    builds one with whatever embedder is configured.
    """
    if snapshot is None:
        return None
    keys = ["provider", "model"] + (["dim"] if configured["dim"] is not None else [])
    if all(snapshot.get(key) == configured[key] for key in keys):
        return None
    return {"snapshot": snapshot, "configured": configured, "next_step": REBUILD_COMMAND}


def describe(embedder: dict[str, Any]) -> str:
    """``'hashing hashing-v1 (dim 256)'``; the dimension only when known."""
    dim = embedder.get("dim")
    return f"{embedder.get('provider')} {embedder.get('model')}" + (
        f" (dim {dim})" if dim is not None else ""
    )


def refusal(mismatch: dict[str, Any]) -> str:
    """One line: what the snapshot was built with, what is configured, what to do."""
    return (
        f"the snapshot's vector index was built with {describe(mismatch['snapshot'])} but "
        f"this configuration embeds with {describe(mismatch['configured'])}, so vector search "
        "would fail after the restore: set EMBEDDING_PROVIDER/EMBEDDING_MODEL/EMBEDDING_DIM "
        "to the snapshot's embedder, or pass --allow-embedder-change to restore it anyway "
        f"and then run `{REBUILD_COMMAND}`"
    )


def rebuild_notice(mismatch: dict[str, Any]) -> str:
    """One line printed after a restore that kept another embedder's index."""
    return (
        f"the restored vector index was built with {describe(mismatch['snapshot'])}, not the "
        f"configured {describe(mismatch['configured'])}: run `{REBUILD_COMMAND}` now; until "
        "it has finished, vector search fails and hybrid search ranks by words alone"
    )


__all__ = [
    "REBUILD_COMMAND",
    "configured_embedder",
    "describe",
    "embedder_mismatch",
    "rebuild_notice",
    "refusal",
]
