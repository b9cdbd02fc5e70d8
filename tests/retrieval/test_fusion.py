from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from rrag.index import IndexUpdater
from rrag.retrieval import Retriever
from rrag.retrieval.fusion import (
    HASHING_VECTOR_WEIGHT,
    SEMANTIC_VECTOR_WEIGHT,
    blend,
    default_vector_weight,
    rrf,
)
from rrag.store.db import open_store
from tests.index import seed

ranked = st.lists(
    st.tuples(st.integers(0, 50), st.floats(-10, 10)), max_size=30, unique_by=lambda t: t[0]
)


@given(lex=ranked, vec=ranked, k=st.integers(0, 40), w=st.floats(0, 1))
def test_fusions_ordered_unique_bounded(lex: list, vec: list, k: int, w: float) -> None:
    for fused in (rrf([lex, vec], k), blend(lex, vec, k, w)):
        ids = [i for i, _ in fused]
        scores = [s for _, s in fused]
        assert len(fused) <= k and len(ids) == len(set(ids))
        assert scores == sorted(scores, reverse=True)
        assert set(ids) <= {i for i, _ in lex} | {i for i, _ in vec}


def test_rrf_rewards_agreement_and_blend_respects_weight() -> None:
    lex, vec = [(1, 9.0), (2, 5.0)], [(2, 0.9), (3, 0.8)]
    assert rrf([lex, vec], 3)[0][0] == 2
    assert blend(lex, vec, 3, vector_weight=1.0)[0][0] == 2
    assert blend(lex, vec, 3, vector_weight=0.0)[0][0] == 1


def test_default_weight_follows_the_embedder_kind() -> None:
    # measured in benchmarks/RESULTS.md: lexical leads a hashing embedder, a model leads bm25
    assert default_vector_weight("hashing") == HASHING_VECTOR_WEIGHT < 0.5
    for provider in ("sentence-transformers", "ollama"):
        assert default_vector_weight(provider) == SEMANTIC_VECTOR_WEIGHT > 0.5


def test_retriever_uses_embedder_weight_unless_set(tmp_path: Path) -> None:
    def hybrid(name: str, **retrieval: Any) -> list[Any]:
        settings = seed.hashing_settings(tmp_path / name, **retrieval)
        store = open_store(settings.store.data_dir)
        seed.small_corpus(store)
        IndexUpdater(settings, store).drain()
        found = Retriever(settings, store).search("export crashes", k=5).results
        store.close()
        return [(r.issue_id, r.score) for r in found]

    by_default = hybrid("default")
    assert by_default
    assert by_default == hybrid("explicit", vector_weight=HASHING_VECTOR_WEIGHT)
    assert by_default != hybrid("vector-only", vector_weight=1.0)
