"""The long-lived retriever: one embedder, the FAISS and tantivy indexes, many searches.

:class:`Retriever` loads the embedder once and the indexes on first use. Each search
checks (cheaply: two ``stat`` calls and one meta row) whether an index or the store
generation has moved; if so it reloads, and when the store is ahead of the saved vectors
(a sync is draining, or a crash left a gap) it catches up in memory from the store before
serving, so results are never served from an index the store has moved past
(:mod:`.state`); a lexical index that is missing or behind is caught up on disk when no
indexer is running (:meth:`rrag.index.IndexUpdater.repair_lexical`).

When one index cannot be used, the other still answers: hybrid falls back to one side
and says so in ``degraded``, the mode needing the missing side raises IndexStateError. A
query without a letter or digit matches nothing in any mode (``note`` says why).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import msgspec
from sqlalchemy import text

from rrag.errors import InputError
from rrag.index import chunkstore, lexical, textindex
from rrag.index.chunking import embed_text
from rrag.index.embedders import Embedder, make_embedder
from rrag.index.updater import store_generation
from rrag.retrieval import fusion, glossary, sidework
from rrag.retrieval import query as qv
from rrag.retrieval.caller import Caller
from rrag.retrieval.filters import Filters
from rrag.retrieval.hits import SearchResults
from rrag.retrieval.results import finders, group, issue_leads
from rrag.retrieval.state import IndexState, LexicalOpener, load_state
from rrag.settings import Settings
from rrag.store.db import Store


class Retriever:
    """Search and similar-issue lookups over one data dir; safe to share across threads."""

    def __init__(self, settings: Settings, store: Store, embedder: Embedder | None = None) -> None:
        self.settings, self.store = settings, store
        self.embedder = embedder or make_embedder(settings)
        self.glossary = glossary.load(settings.retrieval.glossary)
        self._state: IndexState | None = None
        self._reload_lock = threading.Lock()
        self._lexical = LexicalOpener(settings, store, self.embedder)

    # -- index state -------------------------------------------------------------------
    def _signature(self) -> tuple[Any, ...]:
        try:
            st = self.settings.store.index_path.stat()
            file_sig: tuple[int, ...] = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            file_sig = ()
        lexical_sig = textindex.signature(self._lexical.path)
        return (file_sig, store_generation(self.store), lexical_sig)

    def reload_if_stale(self) -> bool:
        """Reload when the index file or the store generation changed; True if reloaded."""
        signature = self._signature()
        if self._state is not None and self._state.signature == signature:
            return False
        with self._reload_lock:
            if self._state is not None and self._state.signature == signature:
                return False
            self._state = self._load(signature)
        return True

    def _load(self, signature: tuple[Any, ...]) -> IndexState:
        lexical_index, missing = self._lexical.open(signature[1])
        return load_state(
            self.settings, self.store, self.embedder, signature, lexical_index, missing
        )

    def _current(self) -> IndexState:
        self.reload_if_stale()
        assert self._state is not None
        return self._state

    # -- search ------------------------------------------------------------------------
    def search(
        self,
        query: str,
        k: int = 10,
        mode: str = "hybrid",
        caller: Caller | None = None,
        project_ids: Any = None,
        tracker: str | None = None,
        status: str | None = None,
        updated_since: Any = None,
    ) -> SearchResults:
        """Search: the best ``k`` issues and wiki pages (:class:`SearchResults`)."""
        started = time.perf_counter()
        text_q = qv.check_query(query)
        k, mode = qv.check_k(k), qv.check_mode(mode)
        filters = Filters(
            caller or Caller.default(),
            _project_set(project_ids),
            tracker or None,
            qv.check_status(status),
            qv.check_since(updated_since),
        )
        # everyday words ("ticket") also search as Redmine's ("issue"); see glossary
        found = self._run(text_q, k, mode, filters, None, self.glossary.expand(text_q))
        return _typed(mode, started, found)

    def similar(
        self,
        issue_id: int | None = None,
        text: str | None = None,
        k: int = 10,
        caller: Caller | None = None,
    ) -> SearchResults:
        """Likely duplicates of issue ``issue_id`` (excluded) or of draft ``text``."""
        started = time.perf_counter()
        k = qv.check_k(k)
        filters = Filters(caller or Caller.default())
        if (issue_id is None) == (text is None):
            raise InputError("give exactly one of an issue id or a draft text", field="issue_id")
        probe = (
            self._issue_text(issue_id, filters) if issue_id is not None else qv.check_query(text)
        )
        found = self._run(probe[: qv.MAX_QUERY_CHARS], k, "hybrid", filters, exclude=issue_id)
        return _typed("hybrid", started, found)

    def _issue_text(self, issue_id: int, filters: Filters) -> str:
        with self.store.engine.connect() as conn:
            where, params = filters.sql(filters.visible_projects(conn))
            row = (
                conn.execute(
                    text(
                        f"SELECT * FROM chunks c WHERE c.issue_id = :i AND "
                        f"c.kind = 'issue' AND {where}"
                    ),
                    {**params, "i": int(issue_id)},
                )
                .mappings()
                .first()
            )
        if row is None:
            raise InputError(
                f"issue {issue_id} is not in the index (or not visible to you)", field="issue_id"
            )
        return embed_text(chunkstore.row_chunk(dict(row)))

    def _run(
        self,
        q: str,
        k: int,
        mode: str,
        filters: Filters,
        exclude: int | None,
        expanded: str | None = None,
    ) -> dict[str, Any]:
        """``{"results": [...]}`` for ``q``, with a ``note`` or ``degraded`` line when one
        applies; the retrievers and snippets see ``expanded`` when given."""
        if not qv.has_words(q):  # nothing to match: vectors alone would rank noise
            return {"results": [], "note": qv.NO_WORDS}
        state = self._current()
        extra: dict[str, str] = {}
        if mode == "vector":
            state.require_vectors()
        elif mode == "lexical":
            state.require_lexical()
        elif state.vectors is None:
            state.require_lexical()
            mode, extra["degraded"] = "lexical", f"lexical results only: {state.unavailable}"
        elif state.lexical is None:
            mode, extra["degraded"] = "vector", f"vector results only: {state.lexical_missing}"
        ref = qv.issue_reference(q)
        q = expanded or q
        pool = k * self.settings.retrieval.candidate_multiplier + (4 if exclude else 0)
        with self.store.engine.connect() as conn:
            projects = filters.visible_projects(conn)
            lex, vec = self._hits(state, q, mode, pool, filters, projects)
            fused = self._fuse(mode, lex, vec, pool)
            if ref is not None:
                fused = self._reference_first(conn, ref, filters, projects, fused)
            rows = chunkstore.chunk_rows(conn, [i for i, _ in fused])
            # every chunk returned passes the filter on the row read now, whatever the
            # (older) metadata the vector side was filtered with said: fail closed
            rows = {i: r for i, r in rows.items() if filters.admits(r, projects)}
            fused = issue_leads(fused, rows, lambda ids: _body_terms(q, ids, rows))
            names: dict[int, str] = dict(conn.execute(text("SELECT id, name FROM projects")).all())
        if exclude is not None:
            rows = {i: r for i, r in rows.items() if r["issue_id"] != exclude}
        found_by = finders(lex, vec, ref is not None and bool(fused), fused)
        results = group(fused, rows, found_by, names, q, k)
        _add_similarity(results, dict(vec))
        return {"results": results, **extra}

    def _hits(
        self,
        state: IndexState,
        q: str,
        mode: str,
        pool: int,
        filters: Filters,
        projects: frozenset[int],
    ) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
        """Lexical and vector candidates (each side empty when ``mode`` leaves it out)."""
        lex: list[tuple[int, float]] = []
        vec: list[tuple[int, float]] = []
        # hybrid: the FAISS search runs on a side worker while this thread asks tantivy
        # (both release the GIL; rrag.retrieval.sidework)
        vec_later = (
            sidework.submit(lambda: self._vector(state, q, pool, filters, projects))
            if mode == "hybrid"
            else None
        )
        if mode in ("lexical", "hybrid"):
            lex = state.require_lexical().search(q, pool, filters, projects)
        if vec_later is not None:
            vec = vec_later.result()
        elif mode == "vector":
            vec = self._vector(state, q, pool, filters, projects)
        return lex, vec

    def _vector(
        self, state: IndexState, q: str, pool: int, filters: Filters, projects: frozenset[int]
    ) -> list[tuple[int, float]]:
        vectors = state.require_vectors()
        mask = filters.mask(state.meta, projects)
        # unfiltered only when the metadata vouches for every vector (see state.covered)
        admit = None if mask.all() and state.covered else state.admitted(mask)
        vector = self.embedder.embed([q])[0]
        return vectors.search(vector, pool, admit)

    def _fuse(
        self, mode: str, lex: list[tuple[int, float]], vec: list[tuple[int, float]], pool: int
    ) -> list[tuple[int, float]]:
        if mode == "lexical":
            return lex
        if mode == "vector":
            return vec
        if self.settings.retrieval.fusion == "rrf":
            return fusion.rrf([lex, vec], pool)
        weight = self.settings.retrieval.vector_weight
        if weight is None:
            weight = fusion.default_vector_weight(self.embedder.provider)
        return fusion.blend(lex, vec, pool, weight)

    def _reference_first(
        self,
        conn: Any,
        issue_id: int,
        filters: Filters,
        projects: frozenset[int],
        fused: list[tuple[int, float]],
    ) -> list[tuple[int, float]]:
        where, params = filters.sql(projects)
        row = conn.execute(
            text(
                f"SELECT c.id FROM chunks c WHERE c.issue_id = :i AND c.kind = 'issue' AND {where}"
            ),
            {**params, "i": issue_id},
        ).first()
        if row is None:
            return fused
        top = (fused[0][1] if fused else 0.0) + 1.0
        return [(int(row[0]), top)] + [(i, s) for i, s in fused if i != int(row[0])]


def _body_terms(q: str, ids: list[int], rows: dict[int, dict[str, Any]]) -> dict[int, set[str]]:
    return lexical.body_terms(q, {i: rows[i]["text"] for i in ids if i in rows})


def _typed(mode: str, started: float, found: dict[str, Any]) -> SearchResults:
    """The search's answer as the library returns it (validated: a result dict that
    lost a field fails here, not in a caller)."""
    return msgspec.convert({"mode": mode, **found, "took_ms": _ms_since(started)}, SearchResults)


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _add_similarity(results: list[dict[str, Any]], vector_scores: dict[int, float]) -> None:
    """Give each result its best chunk's raw vector score (cosine; None when no chunk of
    it was a vector hit): unlike the fused score it compares across queries, so an answer
    can abstain below a threshold (rrag.llm.abstain)."""
    for result in results:
        chunks = [c["chunk_id"] for c in result["chunks"] if c["chunk_id"] in vector_scores]
        best = max((vector_scores[c] for c in chunks), default=None)
        result["similarity"] = None if best is None else round(best, 4)


def _project_set(project_ids: Any) -> frozenset[int] | None:
    if project_ids is None:
        return None
    try:
        return frozenset(int(p) for p in project_ids)
    except (TypeError, ValueError):
        raise InputError(
            f"project ids must be integers (got {project_ids!r})", field="project_ids"
        ) from None


__all__ = ["Retriever"]
