from hypothesis import given
from hypothesis import strategies as st

from rrag.retrieval.fusion import blend, rrf

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
