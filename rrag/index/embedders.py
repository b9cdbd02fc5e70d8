"""The embedders behind one interface, and the choice among them (``EMBEDDING_PROVIDER``).

Every embedder has ``provider``, ``model``, ``dim`` and ``embed(texts) -> float32 array``
of L2-normalised rows. ``auto`` picks sentence-transformers when the ``semantic`` extra
and its model are importable, otherwise hashing. Nothing is ever downloaded: the
sentence-transformers model loads from a local directory or an installed model package
with ``local_files_only=True``.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import httpx
import numpy as np

from rrag.errors import ConfigError, EmbeddingError
from rrag.index.hashing import HashingEmbedder
from rrag.logs import get_logger, log_event
from rrag.settings import Settings
from rrag.sync.pinning import GuardedTransport
from rrag.sync.policy import llm_policy

log = get_logger("index.embedders")
OLLAMA_BATCH = 64
ST_BATCH = 64


class Embedder(Protocol):
    provider: str
    model: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def resolve_model_dir(model: str) -> Path:
    """A model directory: ``model`` itself, or the ``model/`` of an installed package."""
    path = Path(model).expanduser()
    if path.is_dir():
        return path
    try:
        package = importlib.import_module(model.replace("-", "_"))
    except ImportError:
        raise ConfigError(
            f"EMBEDDING_MODEL={model!r} is neither a model directory nor an "
            "installed model package (pip install 'rrag[semantic]')"
        ) from None
    getter = getattr(package, "get_model_path", None)
    found = Path(getter()) if callable(getter) else Path(getattr(package, "MODEL_DIR", ""))
    if not found.is_dir():
        raise ConfigError(f"model package {model!r} has no model directory")
    return found


class SentenceTransformerEmbedder:
    """``sentence-transformers`` on CPU, strictly offline."""

    provider = "sentence-transformers"

    def __init__(self, model: str) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar on the user's terminal
        self.model = model
        path = resolve_model_dir(model)
        self._st: Any = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        dim = (
            getattr(self._st, "get_embedding_dimension", None)
            or self._st.get_sentence_embedding_dimension
        )
        self.dim = int(dim() or 0)
        self._lock = threading.Lock()  # torch modules are not documented as re-entrant

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        with self._lock:
            vectors = self._st.encode(
                texts,
                batch_size=ST_BATCH,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


class OllamaEmbedder:
    """``ollama``: ``POST {OLLAMA_BASE_URL}/api/embed`` with ``EMBEDDING_MODEL``.

    Every issue text goes there, so the LLM outbound policy guards each request: the host
    must be loopback or in ``allowed_hosts`` (``LLM_ALLOWED_HOSTS``), and the connection
    goes to the address that policy checked (:mod:`rrag.sync.pinning`).
    """

    provider = "ollama"

    def __init__(
        self,
        base_url: str,
        model: str,
        timeout_s: float,
        transport: httpx.BaseTransport | None = None,
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        """Raises OutboundPolicyError when ``base_url`` is refused, before any request."""
        self.model = model
        guarded = GuardedTransport(llm_policy(allowed_hosts, "OLLAMA_BASE_URL"), transport)
        guarded.check(base_url)
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=timeout_s,
            transport=guarded,
            follow_redirects=False,
        )
        self.dim = int(self._call(["dimension probe"]).shape[1])

    def _call(self, texts: list[str]) -> np.ndarray:
        try:
            response = self._http.post("/api/embed", json={"model": self.model, "input": texts})
        except httpx.HTTPError as exc:
            raise EmbeddingError(f"Ollama is not reachable for embeddings: {exc}") from None
        if response.status_code != 200:
            raise EmbeddingError(
                f"Ollama /api/embed answered {response.status_code} for model {self.model!r}",
                status=response.status_code,
            )
        try:
            data = np.asarray(response.json()["embeddings"], dtype=np.float32)
        except (ValueError, KeyError, TypeError):
            raise EmbeddingError("Ollama /api/embed sent an unexpected body") from None
        if data.ndim != 2 or len(data) != len(texts):
            raise EmbeddingError("Ollama /api/embed sent the wrong number of embeddings")
        return _normalise(data)

    def embed(self, texts: list[str]) -> np.ndarray:
        parts = [
            self._call(texts[i : i + OLLAMA_BATCH]) for i in range(0, len(texts), OLLAMA_BATCH)
        ]
        return np.vstack(parts) if parts else np.zeros((0, self.dim), np.float32)


def semantic_available(model: str) -> bool:
    try:
        importlib.import_module("sentence_transformers")
        resolve_model_dir(model)
    except (ImportError, ConfigError):
        return False
    return True


def make_embedder(settings: Settings) -> Embedder:
    """The embedder ``EMBEDDING_PROVIDER`` names (``auto`` resolved here)."""
    cfg = settings.embedding
    provider = cfg.provider
    if provider == "auto":
        provider = "sentence-transformers" if semantic_available(cfg.model) else "hashing"
    embedder: Embedder
    if provider == "hashing":
        embedder = HashingEmbedder(cfg.dim)
    elif provider == "sentence-transformers":
        embedder = SentenceTransformerEmbedder(cfg.model)
    else:
        ollama = settings.ollama
        embedder = OllamaEmbedder(
            ollama.base_url, cfg.model, ollama.timeout_s, allowed_hosts=settings.llm.allowed_hosts
        )
    log_event(
        log,
        "embedder_ready",
        provider=embedder.provider,
        model=embedder.model,
        dim=embedder.dim,
        requested=cfg.provider,
    )
    return embedder


__all__ = [
    "Embedder",
    "HashingEmbedder",
    "OllamaEmbedder",
    "SentenceTransformerEmbedder",
    "make_embedder",
    "resolve_model_dir",
    "semantic_available",
]
