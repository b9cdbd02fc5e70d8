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


def _char_hashes(contents: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Character 3- and 4-gram hashes of each text's content words (``" " + words + " "``)
    and the text each belongs to: every 3-gram, then every 4-gram. The order does not
    matter: each gram adds 1 or -1 to its text's bucket, an exact sum in any order."""
    texts = [" " + " ".join(words) + " " if words else "" for words in contents]
    lengths = np.array([len(t) for t in texts], np.int64)
    ends = np.cumsum(lengths)
    codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    rows = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    grams = []
    if len(codes) >= 3:
        h3 = codes[:-2] * _P * _P + codes[1:-1] * _P + codes[2:]
        grams.append((3, h3))
        if len(codes) >= 4:  # a 4-gram's hash extends the 3-gram starting where it starts
            grams.append((4, h3[:-1] * _P + codes[3:]))
    hashes, owners = [], []
    for n, h in grams:
        owner = rows[: len(h)]
        keep = np.arange(n, len(h) + n) <= ends[owner]  # the gram ends inside its text
        hashes.append(h[keep] + np.uint64(n))
        owners.append(owner[keep])
    if not hashes:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    return np.concatenate(hashes), np.concatenate(owners)


_FAMILIES = ("words", "pairs", "chars")
# texts hashed together: bounds the float64 working arrays (3 x dim per text, ~6 MB at 256)
BATCH = 1024


class HashingEmbedder:
    """``hashing``: no model, ``dim`` buckets, deterministic."""

    provider = "hashing"
    model = "hashing-v1"

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim

    def embed(self, texts: list[str]) -> np.ndarray:
        """One vector per text. The tokenising is per text; the hashing, bucketing and
        normalising run once per slice of ``BATCH`` texts (a text's vector does not depend
        on the batch it came in), which is most of the cost when done per text."""
        parts = [self._embed(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)]
        return np.vstack(parts) if parts else np.zeros((0, self.dim), np.float32)

    def _embed(self, texts: list[str]) -> np.ndarray:
        tokens: list[str] = []  # words and word pairs, crc32-hashed together
        weights: list[float] = []
        slots: list[int] = []  # text * 3 + family
        contents: list[list[str]] = []
        for row, text in enumerate(texts):
            words = _WORD.findall(unicodedata.normalize("NFKC", text).lower())
            counts = Counter(words)
            tokens += counts
            weights += [(1 + math.log(c)) * _word_weight(w) for w, c in counts.items()]
            slots += [3 * row] * len(counts)
            content = [w for w in words if w not in STOP_WORDS]
            pairs = [f"{a} {b}" for a, b in itertools.pairwise(content)]
            tokens += pairs
            weights += [1.0] * len(pairs)
            slots += [3 * row + 1] * len(pairs)
            contents.append(content)
        grams, owners = _char_hashes(contents)
        hashes = np.concatenate([_crc(tokens), grams])
        weight = np.concatenate([np.array(weights, np.float64), np.ones(len(grams))])
        slot = np.concatenate([np.array(slots, np.int64), 3 * owners + 2])
        mixed = _mix(hashes)
        buckets = (mixed % np.uint64(self.dim)).astype(np.int64)
        signs = np.where((mixed >> np.uint64(63)) == 1, -1.0, 1.0)
        families = (
            np.bincount(
                slot * self.dim + buckets,
                weights=signs * weight,
                minlength=len(texts) * 3 * self.dim,
            )
            .reshape(len(texts), 3, self.dim)
            .astype(np.float64, copy=False)
        )  # int when empty
        families = _unit(families)  # each family normalised on its own, then blended
        blended = sum(_WEIGHTS[f] * families[:, n] for n, f in enumerate(_FAMILIES))
        return _unit(np.asarray(blended)).astype(np.float32).reshape(len(texts), self.dim)


def _unit(vectors: np.ndarray) -> np.ndarray:
    """Scale each vector along the last axis to length 1 (all-zero ones stay zero)."""
    norms = np.sqrt(np.einsum("...d,...d->...", vectors, vectors))[..., None]
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


__all__ = ["STOP_WORDS", "HashingEmbedder"]
