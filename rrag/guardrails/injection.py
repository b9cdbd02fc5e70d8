"""Spotting retrieved text that reads like an instruction planted for an assistant.

Issue descriptions and notes are written by anyone who can file a ticket; a RAG answer
built from them must not follow orders hidden inside. This is a deliberately small,
explainable pattern list (no model): each pattern names a phrasing typical of indirect
prompt injection (BIPIA's payloads and framing: "ignore previous instructions", "you are
now", addresses to the assistant, requests to reveal secrets or visit URLs).
"""

from __future__ import annotations

import re

_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "override",
        r"\b(ignore|disregard|forget|override)\b[^.\n]{0,40}\b(previous|prior|above|"
        r"earlier|all|any|your|the)\b[^.\n]{0,20}\b(instructions?|prompts?|rules|"
        r"directions|context)\b",
    ),
    ("role_change", r"\byou are (now|no longer)\b|\bact as (an?|the)\b|\bpretend (to be|you)\b"),
    (
        "assistant_address",
        r"\b(dear|attention|note to|hey)\s+(the\s+)?(ai|assistant|chatbot|llm|"
        r"language model|gpt)\b|\b(ai|assistant)\s*[:,]\s*(please\s+)?"
        r"(ignore|reply|respond|answer|say|tell|include|append|print)\b",
    ),
    ("system_prompt", r"\b(system prompt|system message|developer mode|jailbreak)\b"),
    (
        "instruction_to_model",
        r"\b(when|if) (you|the (ai|assistant|model)) (answer|respond|"
        r"reply|summari[sz]e)\b[^.\n]{0,60}\b(must|should|always|instead)\b",
    ),
    (
        "exfiltration",
        r"\b(reveal|print|output|send|leak)\b[^.\n]{0,30}\b(api[ _-]?key|password|"
        r"credentials?|secrets?|tokens?)\b",
    ),
    (
        "insert_content",
        r"\b(in your (answer|response|reply)|at the (end|beginning) of your "
        r"(answer|response|reply))\b",
    ),
)
_COMPILED = tuple((name, re.compile(rx, re.IGNORECASE)) for name, rx in _PATTERNS)


def find_injection(text: str) -> str | None:
    """The name of the first injection pattern ``text`` matches, or None."""
    for name, pattern in _COMPILED:
        if pattern.search(text):
            return name
    return None


__all__ = ["find_injection"]
