"""The search index: chunking, embedders, the FAISS vector index, tantivy lexical search.

:class:`IndexUpdater` keeps chunks, tantivy and FAISS in step with the store (drain the sync
queue, catch up after a crash, rebuild); :func:`check_consistency` reports whether the
saved index is the one the store expects.
"""

from rrag.index.chunking import Chunk, embed_text, issue_chunks, split_wiki, wiki_chunks
from rrag.index.consistency import check_consistency
from rrag.index.embedders import (
    Embedder,
    HashingEmbedder,
    OllamaEmbedder,
    SentenceTransformerEmbedder,
    make_embedder,
)
from rrag.index.manifest import Manifest
from rrag.index.updater import GENERATION_KEY, IndexUpdater, store_generation
from rrag.index.vectors import VectorIndex
from rrag.index.vectorsync import open_vectors

__all__ = [
    "GENERATION_KEY",
    "Chunk",
    "Embedder",
    "HashingEmbedder",
    "IndexUpdater",
    "Manifest",
    "OllamaEmbedder",
    "SentenceTransformerEmbedder",
    "VectorIndex",
    "check_consistency",
    "embed_text",
    "issue_chunks",
    "make_embedder",
    "open_vectors",
    "split_wiki",
    "store_generation",
    "wiki_chunks",
]
