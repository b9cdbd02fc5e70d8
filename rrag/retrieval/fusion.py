"""Fusing the lexical and vector candidate lists into one ranking.

Two fusions are offered and measured in ``benchmarks/RESULTS.md``:

* ``rrf``: reciprocal-rank fusion, ``sum 1 / (RRF_K + rank)``; rank-only, so score scales
  do not matter, but a long tail of weak lexical hits can push a good dense hit down.
* ``blend`` (the default): each list's scores min-max normalised to [0, 1] over its
  candidates, then ``w * vector + (1 - w) * lexical``; a hit found by one side only gets 0
  from the other. ``w`` defaults by embedder (:func:`default_vector_weight`).
"""

from __future__ import annotations

from collections.abc import Sequence

RRF_K = 60
Ranked = Sequence[tuple[int, float]]

#: Default blend weight of the vector side per embedder kind (the choice is measured in
#: benchmarks/RESULTS.md, "Fusion choice"): a semantic model beats bm25 on paraphrased
#: queries, so lexical only breaks near-ties; the hashing embedder is a weaker bag of
#: n-grams than bm25, so lexical leads, though not so far that a paraphrase loses
#: (tests/retrieval/test_search_redmine.py). Which chunk of an issue leads is settled by
#: :func:`rrag.retrieval.results.issue_leads`, not by the weight. One weight for both
#: embedders was worse than the better part for one of them.
SEMANTIC_VECTOR_WEIGHT = 0.9
HASHING_VECTOR_WEIGHT = 0.3


def default_vector_weight(provider: str) -> float:
    """The blend weight of the vector side when ``RETRIEVAL_VECTOR_WEIGHT`` is unset."""
    return HASHING_VECTOR_WEIGHT if provider == "hashing" else SEMANTIC_VECTOR_WEIGHT


def rrf(lists: Sequence[Ranked], k: int) -> list[tuple[int, float]]:
    """Reciprocal-rank fusion of ranked ``(id, score)`` lists, best first, at most ``k``."""
    scores: dict[int, float] = {}
    for ranked in lists:
        for rank, (item, _) in enumerate(ranked, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (RRF_K + rank)
    return _top(scores, k)


def _normalised(ranked: Ranked) -> dict[int, float]:
    if not ranked:
        return {}
    values = [s for _, s in ranked]
    low, high = min(values), max(values)
    span = high - low
    return {item: (s - low) / span if span > 0 else 1.0 for item, s in ranked}


def blend(
    lexical: Ranked, vector: Ranked, k: int, vector_weight: float = 0.7
) -> list[tuple[int, float]]:
    """Weighted blend of min-max normalised scores, best first, at most ``k``."""
    lex, vec = _normalised(lexical), _normalised(vector)
    scores = {
        item: vector_weight * vec.get(item, 0.0) + (1 - vector_weight) * lex.get(item, 0.0)
        for item in {*lex, *vec}
    }
    return _top(scores, k)


def _top(scores: dict[int, float], k: int) -> list[tuple[int, float]]:
    # ties broken by id so the output is deterministic
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[: max(k, 0)]


__all__ = [
    "HASHING_VECTOR_WEIGHT",
    "RRF_K",
    "SEMANTIC_VECTOR_WEIGHT",
    "blend",
    "default_vector_weight",
    "rrf",
]
