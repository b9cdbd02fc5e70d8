"""Answers: the extractive answerer, the ``ask`` flow and the Ollama runtime probe."""

from rrag.llm.answer import ask, load_passages
from rrag.llm.extractive import NO_ANSWER, Draft, Flag, Passage, answer_extractively
from rrag.llm.ollama_probe import llm_runtime_check, probe_ollama

__all__ = [
    "NO_ANSWER",
    "Draft",
    "Flag",
    "Passage",
    "answer_extractively",
    "ask",
    "llm_runtime_check",
    "load_passages",
    "probe_ollama",
]
