"""Answers: the extractive answerer, the ``ask`` flow and the Ollama runtime probe."""

from rrag.llm.answer import ask, load_passages
from rrag.llm.extractive import NO_ANSWER, Draft, Flag, Passage, answer_extractively
from rrag.llm.ollama_probe import llm_runtime_check, probe_ollama
from rrag.llm.runtime import ChatModel, build_chat_model

__all__ = [
    "NO_ANSWER",
    "ChatModel",
    "Draft",
    "Flag",
    "Passage",
    "answer_extractively",
    "ask",
    "build_chat_model",
    "llm_runtime_check",
    "load_passages",
    "probe_ollama",
]
