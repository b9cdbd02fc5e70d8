"""When to say "the synced issues do not answer this" instead of answering.

The fused search score cannot tell: each list is min-max normalised per query, so the
best hit scores about 1 whether it is relevant or not. The raw vector similarity can: it
is the cosine between the question and a result's best chunk, on the same scale for
every query (the retriever reports it per result as ``similarity``). An answer abstains
when no result reaches ``RETRIEVAL_ABSTAIN_SCORE``; both answerers then say so and show
no sources. Unset, the threshold follows the embedder (:func:`abstain_threshold`).

Calibrated on ONE labelled set plus questions the corpus cannot answer, and reported on
the held-out sets it never saw (``benchmarks/bench_answers.py``; the figures are in
``benchmarks/RESULTS.md``, "Abstention and citations"). The hashing embedder's cosines
barely separate the two (bag of n-grams), so its threshold only catches questions with no
n-gram in common with anything retrieved; a deployment that needs abstention runs a
semantic embedder. Without the vector side (``retrieval_mode`` lexical, e.g. a degraded
index) there is no comparable score, and the rule does not apply.
"""

from __future__ import annotations

from collections.abc import Sequence

from rrag.retrieval.hits import SearchHit

#: calibrated thresholds per embedder provider (see the module docstring)
SEMANTIC_ABSTAIN_SCORE = 0.5
HASHING_ABSTAIN_SCORE = 0.25
ABSTAIN_ANSWER = "The synced issues do not answer this question: nothing relevant was found."


def abstain_threshold(configured: float | None, provider: str) -> float:
    """``RETRIEVAL_ABSTAIN_SCORE`` if set, else the calibrated value for the embedder
    ``provider`` the retriever really runs (``auto`` resolved)."""
    if configured is not None:
        return configured
    return HASHING_ABSTAIN_SCORE if provider == "hashing" else SEMANTIC_ABSTAIN_SCORE


def relevance_bar(threshold: float, provider: str) -> float | None:
    """The similarity at which the extractive answerer quotes a source that shares no word
    with the question: the abstention threshold for a semantic embedder. None for the
    hashing embedder, whose cosine measures shared n-grams, which the word check already
    sees: on the calibration sets that bar cost more answered unanswerable questions than
    it gained cited answers (RESULTS.md)."""
    return None if provider == "hashing" else threshold


def best_similarity(results: Sequence[SearchHit]) -> float | None:
    """The highest raw vector similarity among ``results`` (None when none has one)."""
    scores = [r.similarity for r in results if r.similarity is not None]
    return max(scores, default=None)


def nothing_relevant(results: Sequence[SearchHit], retrieval_mode: str, threshold: float) -> bool:
    """True when retrieval found nothing an answer should rest on."""
    if not results:
        return True
    if retrieval_mode == "lexical":  # no vector side, no comparable score: not judged
        return False
    best = best_similarity(results)
    return best is None or best < threshold


__all__ = [
    "ABSTAIN_ANSWER",
    "HASHING_ABSTAIN_SCORE",
    "SEMANTIC_ABSTAIN_SCORE",
    "abstain_threshold",
    "best_similarity",
    "nothing_relevant",
    "relevance_bar",
]
