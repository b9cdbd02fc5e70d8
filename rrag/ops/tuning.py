"""Runtime profiles (laptop/M1 vs server) and what they do to search latency and memory.

A profile is a set of settings, named by their environment variables, so the runbook's
table is exactly what goes into ``.env``. :func:`measure_profile` applies one to a copy
of the settings and times hybrid searches against the live store, reporting latency
percentiles and the memory the search path allocated (RSS delta and Python peak).
The retrieval tuning tutorial's parts live here too: the search explorer (ipywidgets),
the candidate-pool comparison and per-mode latency samples.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Sequence
from typing import Any

import psutil

from rrag.ops.tables import hits_table
from rrag.settings import _GROUPS, Settings
from rrag.store.db import open_store

PROFILES: dict[str, dict[str, Any]] = {
    "laptop": {  # M1 / 8-16 GB: fewer parallel requests, smaller candidate pools
        "REDMINE_MAX_CONCURRENCY": 2,
        "RETRIEVAL_CANDIDATE_MULTIPLIER": 2,
        # the operations runbook's laptop values: one model busy with two requests, a
        # batch of 20 issues per commit, and a timeout a laptop's model can meet
        "OLLAMA_MAX_CONCURRENCY": 2,
        "OLLAMA_TIMEOUT_S": 45,
        "LLM_EXTRACT_BATCH_SIZE": 20,
    },
    "server": {  # many cores, RAM to spare: wider candidate pools, more parallel fetches
        "REDMINE_MAX_CONCURRENCY": 8,
        "RETRIEVAL_CANDIDATE_MULTIPLIER": 10,
        "OLLAMA_MAX_CONCURRENCY": 4,
        "LLM_EXTRACT_BATCH_SIZE": 16,
    },
}


def apply_profile(settings: Settings, profile: dict[str, Any]) -> Settings:
    """A copy of ``settings`` with the profile's ``ENV_NAME: value`` pairs applied."""
    updates: dict[str, dict[str, Any]] = {}
    for env_name, value in profile.items():
        for key, group in _GROUPS.items():
            prefix = str(group.model_config.get("env_prefix", "")).upper()
            field = env_name[len(prefix) :].lower()
            if env_name.startswith(prefix) and field in group.model_fields:
                updates.setdefault(key, {})[field] = value
                break
        else:
            raise KeyError(f"unknown setting {env_name}")
    groups = {
        key: getattr(settings, key).model_copy(update=values) for key, values in updates.items()
    }
    return settings.model_copy(update=groups)


def measure_profile(
    settings: Settings, profile: dict[str, Any], queries: list[str], repeats: int = 5, k: int = 10
) -> dict[str, Any]:
    """Time ``repeats`` rounds of ``queries`` (hybrid search) under ``profile``."""
    from rrag.retrieval import Retriever

    tuned = apply_profile(settings, profile)
    store = open_store(tuned.store.data_dir)
    try:
        retriever = Retriever(tuned, store)
        retriever.search(queries[0], k=k)  # load the index outside the timings
        rss_before = psutil.Process().memory_info().rss
        tracemalloc.start()
        samples = []
        for _ in range(repeats):
            for query in queries:
                started = time.perf_counter()
                retriever.search(query, k=k)
                samples.append((time.perf_counter() - started) * 1000)
        _, py_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_delta = psutil.Process().memory_info().rss - rss_before
    finally:
        store.close()
    ordered = sorted(samples)
    return {
        "profile": profile,
        "queries": len(samples),
        "samples_ms": samples,
        "p50_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 3),
        "mean_ms": round(statistics.fmean(ordered), 3),
        "rss_delta_bytes": rss_delta,
        "py_peak_bytes": py_peak,
    }


def compare_multipliers(
    settings: Settings, store: Any, queries: Sequence[Any], multipliers: Sequence[int], k: int
) -> list[dict[str, Any]]:
    """Hybrid search quality and latency (one evaluation row each, named ``x<m>``) with
    ``RETRIEVAL_CANDIDATE_MULTIPLIER`` set to each of ``multipliers``."""
    from rrag.retrieval import Retriever
    from rrag.retrieval.evaluate import evaluate, retriever_ranker

    rows = []
    for m in multipliers:
        tuned = apply_profile(settings, {"RETRIEVAL_CANDIDATE_MULTIPLIER": m})
        ranker = retriever_ranker(Retriever(tuned, store), "hybrid")
        rows.append(evaluate(f"x{m}", ranker, queries, k).as_dict())
    return rows


def latency_samples(
    retriever: Any, queries: Sequence[Any], modes: Sequence[str], k: int
) -> dict[str, list[float]]:
    """Each mode's search time (``took_ms``) for every labelled query."""
    return {
        mode: [retriever.search(q.q, k=k, mode=mode).took_ms for q in queries] for mode in modes
    }


def search_explorer(retriever: Any, query: str, modes: Sequence[str]) -> Any:
    """An ipywidgets form (query, mode, k) whose hits table follows every change.

    The table is an HTML widget updated from the controls' observers, not an ``Output``
    widget: displaying into an Output widget while papermill/nbclient executes the cell
    can leave the run waiting forever (jupyter/nbclient#312). The form's ``result`` is
    the table last shown; under papermill or nbval it is the defaults' table.
    """
    import ipywidgets as widgets

    controls = {
        "query": widgets.Text(value=query, description="query", continuous_update=False),
        "mode": widgets.Dropdown(options=list(modes), value="hybrid", description="mode"),
        "k": widgets.IntSlider(value=5, min=1, max=20, description="k"),
    }
    shown = widgets.HTML()
    form = widgets.VBox([*controls.values(), shown])

    def refresh(_change: Any = None) -> None:
        values = {name: control.value for name, control in controls.items()}
        form.result = hits_table(retriever.search(**values))
        shown.value = form.result._repr_html_()

    for control in controls.values():
        control.observe(refresh, names="value")
    refresh()
    return form


__all__ = [
    "PROFILES",
    "apply_profile",
    "compare_multipliers",
    "latency_samples",
    "measure_profile",
    "search_explorer",
]
