"""The model-free embedder: feature-hashed words, word pairs and character n-grams.

Deterministic across processes (``zlib.crc32`` and fixed integer mixing, never Python's
salted ``hash``). Words carry an IDF-style weight that needs no corpus statistics: common
English function words are damped and longer words count more, the way rarer terms do in
a real IDF table. Character 3- and 4-grams give partial matches across word forms
("authenticate" / "authentication"). Each family is normalised on its own, blended, and
the result L2-normalised, so inner product is cosine similarity.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
import zlib
from collections import Counter

import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)
STOP_WORDS = frozenset(
    {
        "a",
        "after",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "before",
        "but",
        "by",
        "can",
        "cannot",
        "could",
        "do",
        "does",
        "doing",
        "for",
        "from",
        "get",
        "gets",
        "got",
        "had",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "should",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "too",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
    }
)
_WEIGHTS = {"words": 0.55, "pairs": 0.15, "chars": 0.30}
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_P = np.uint64(1_000_003)


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads crc/polynomial hashes over all 64 bits."""
    h = h ^ (h >> np.uint64(31))
    h = h * _M1
    return h ^ (h >> np.uint64(29))


def _crc(tokens: list[str]) -> np.ndarray:
    return np.fromiter((zlib.crc32(t.encode("utf-8")) for t in tokens), np.uint64, len(tokens))


def _word_weight(word: str) -> float:
    if word in STOP_WORDS:
        return 0.15
    return 0.6 + min(len(word), 12) / 12  # longer words are rarer: an IDF stand-in


def _char_hashes(words: list[str]) -> np.ndarray:
    if not words:
        return np.zeros(0, np.uint64)
    text = " " + " ".join(words) + " "
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    grams = []
    for n in (3, 4):
        if len(codes) < n:
            continue
        h = np.zeros(len(codes) - n + 1, np.uint64)
        for j in range(n):
            h = h * _P + codes[j : len(codes) - n + 1 + j]
        grams.append(h + np.uint64(n))
    return np.concatenate(grams) if grams else np.zeros(0, np.uint64)


class HashingEmbedder:
    """``hashing``: no model, ``dim`` buckets, deterministic."""

    provider = "hashing"
    model = "hashing-v1"

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim

    def _project(self, hashes: np.ndarray, weights: np.ndarray) -> np.ndarray:
        mixed = _mix(hashes)
        buckets = (mixed % np.uint64(self.dim)).astype(np.int64)
        signs = np.where((mixed >> np.uint64(63)) == 1, -1.0, 1.0)
        vec = np.bincount(buckets, weights=signs * weights, minlength=self.dim)
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm > 0 else vec

    def embed_one(self, text: str) -> np.ndarray:
        words = _WORD.findall(unicodedata.normalize("NFKC", text).lower())
        counts = Counter(words)
        uniq = list(counts)
        w_weights = np.array([(1 + math.log(counts[w])) * _word_weight(w) for w in uniq])
        content = [w for w in words if w not in STOP_WORDS]
        pairs = [f"{a} {b}" for a, b in itertools.pairwise(content)]
        chars = _char_hashes(content)
        vec = (
            _WEIGHTS["words"] * self._project(_crc(uniq), w_weights)
            + _WEIGHTS["pairs"] * self._project(_crc(pairs), np.ones(len(pairs)))
            + _WEIGHTS["chars"] * self._project(chars, np.ones(len(chars)))
        )
        norm = float(np.linalg.norm(vec))
        return (vec / norm if norm > 0 else vec).astype(np.float32)

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            out[i] = self.embed_one(text)
        return out


__all__ = ["STOP_WORDS", "HashingEmbedder"]
