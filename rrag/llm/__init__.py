"""Answers: the ``ask`` flow, its generative and extractive answerers, the LLM runtime."""

from rrag.llm.answer import ask, load_passages
from rrag.llm.answerer import Answerer, open_answerer
from rrag.llm.citations import Answer, Citation, GuardrailCounts, Source
from rrag.llm.extractive import NO_ANSWER, Draft, Flag, Passage, answer_extractively
from rrag.llm.generative import answer_generatively
from rrag.llm.ollama_probe import llm_runtime_check, probe_ollama
from rrag.llm.runtime import ChatModel, build_chat_model

__all__ = [
    "NO_ANSWER",
    "Answer",
    "Answerer",
    "ChatModel",
    "Citation",
    "Draft",
    "Flag",
    "GuardrailCounts",
    "Passage",
    "Source",
    "answer_extractively",
    "answer_generatively",
    "ask",
    "build_chat_model",
    "llm_runtime_check",
    "load_passages",
    "open_answerer",
    "probe_ollama",
]
