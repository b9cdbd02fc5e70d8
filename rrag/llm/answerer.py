"""Which answerer ``ask`` uses, built once from the settings by the CLI or the API.

An :class:`Answerer` holds the chat model of ``LLM_PROVIDER`` (None: extractive), the
abstention threshold for the embedder the retriever really runs, the similarity at which
the extractive answerer quotes a source sharing no word with the question
(:func:`rrag.llm.abstain.relevance_bar`), and the answer's token cap. A model whose URL
the outbound policy refuses is not built: the answers stay extractive with
``fallback_reason: "llm_unavailable"`` and a warning is logged once, rather than every
question failing. The API builds one per process (``rrag.api.services``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from rrag.errors import RragError
from rrag.llm.abstain import abstain_threshold, relevance_bar
from rrag.llm.citations import Citation
from rrag.llm.runtime import ChatModel, build_chat_model
from rrag.logs import get_logger, log_event
from rrag.settings import Settings

log = get_logger("llm.answer")


@dataclass(frozen=True)
class Said:
    """What one answerer said: the answer fields of :class:`rrag.llm.citations.Answer`."""

    answer: str
    answerer: str
    grounded: bool
    abstained: bool
    fallback_reason: str | None
    citations: list[Citation]


@dataclass(frozen=True)
class Answerer:
    model: ChatModel | None = None
    #: answers abstain when no result's vector similarity reaches this
    abstain_score: float = 0.0
    max_tokens: int = 512
    #: why the configured model is missing (a fallback_reason), None when none is configured
    unavailable: str | None = None
    #: a source this similar is quoted without sharing a word (None: shared words only)
    relevant_at: float | None = None

    @property
    def name(self) -> str:
        return self.model.provider if self.model is not None else "extractive"

    def abstention(self, answer: str) -> Said:
        """An abstention by this answerer."""
        return Said(
            answer, self.name, grounded=False, abstained=True, fallback_reason=None, citations=[]
        )

    def close(self) -> None:
        if self.model is not None:
            self.model.close()


def open_answerer(settings: Settings, embedder_provider: str) -> Answerer:
    """The answerer for ``settings`` over a retriever whose embedder is ``embedder_provider``."""
    threshold = abstain_threshold(settings.retrieval.abstain_score, embedder_provider)
    bar = relevance_bar(threshold, embedder_provider)
    tokens = settings.llm.answer_max_tokens
    try:
        model = build_chat_model(settings)
    except RragError as exc:  # the outbound policy refused the runtime's URL
        log_event(
            log, "llm_refused", logging.WARNING, error=str(exc), provider=settings.llm.provider
        )
        return Answerer(None, threshold, tokens, "llm_unavailable", bar)
    return Answerer(model, threshold, tokens, relevant_at=bar)


__all__ = ["Answerer", "Said", "open_answerer"]
