"""Embedders for real: hashing, the packaged MiniLM model, and Ollama's HTTP API on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rrag.errors import EmbeddingError, IndexStateError
from rrag.index import IndexUpdater, make_embedder
from rrag.index.embedders import OllamaEmbedder
from rrag.index.hashing import HashingEmbedder, _char_hashes
from rrag.settings import EmbeddingSettings, OllamaSettings
from rrag.store.db import open_store
from tests.index import seed

TEXTS = ["Cannot log in with LDAP", "LDAP login fails", "Gantt chart PDF export is empty"]


def test_hashing_is_normalised_and_same_across_processes() -> None:
    vectors = HashingEmbedder(64).embed(TEXTS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    code = (
        "import json; from rrag.index.hashing import HashingEmbedder, _char_hashes; "
        f"print(json.dumps(HashingEmbedder(64).embed({TEXTS!r}).tolist()))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "123", "PATH": ""},
    )
    assert np.allclose(np.array(json.loads(other.stdout)), vectors)
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 2]


def test_hashing_vectors_do_not_depend_on_the_batch() -> None:
    # the sync's prefetch and the drain embed the same texts in different batches
    fullwidth = "\uff26\uff35\uff2c\uff2c width \u00fcn\u00efc\u00f6d\u00e9"  # NFKC folds it
    texts = [*TEXTS, "", "   ", "a", "the of", fullwidth, "x" * 3000, TEXTS[0]]
    embedder = HashingEmbedder(64)
    batch = embedder.embed(texts)
    alone = np.vstack([embedder.embed([t]) for t in texts])
    assert batch.shape == (len(texts), 64) and batch.dtype == np.float32
    assert np.array_equal(batch, alone)
    assert np.array_equal(batch[0], batch[-1])
    assert not batch[3].any() and not batch[4].any()  # nothing to hash: a zero vector
    assert np.allclose(np.linalg.norm(batch[[0, 1, 2, 5, 6, 7, 8]], axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, 64)


#: ``HashingEmbedder(16)`` of these texts (to 4 places), from the first ``hashing-v1``:
#: stored indexes hold such vectors, so a faster implementation must give the same ones
GOLDEN_TEXTS = [
    "Cannot log in with LDAP",
    "Gantt chart PDF export is empty",
    "ab",
    "\uff26\uff35\uff2c\uff2c width \u00fcn\u00efc\u00f6d\u00e9",
    "Ошибка экспорта в PDF",
    "日本語のチケット",
]
# fmt: off
GOLDEN = np.array([
    [1233, 0, 0, 0, 8369, -1233, 0, 284, 1233, -1518, -949, -4143, 0, 2223, 0, 0],
    [1861, -620, 1241, -1861, 3112, 2978, 868, 4860, 0, 3295, -1241, 4239, 0, 1241, -620, 3991],
    [2765, 0, 0, 0, 0, 0, 2765, 0, 0, 0, 0, 2765, 0, 0, 8779, 0],
    [0, -785, -785, 1494, -1494, 8310, -785, 0, 785, -785, 0, 3140, -785, -3420, 785, -785],
    [0, 1382, 3555, -2270, 3727, -889, -889, -889, 889, 5554, 889, -1777, -3489, 0, -889, 3935],
    [1121, 0, 0, 9078, 0, 0, 1121, 2241, -2241, 1121, 0, 0, 1121, 0, -1121, -1121],
]) / 10_000
# fmt: on


def test_hashing_vectors_are_those_of_hashing_v1() -> None:
    vectors = HashingEmbedder(16).embed(GOLDEN_TEXTS)
    assert np.allclose(vectors, GOLDEN, atol=1e-4)


def test_char_grams_are_every_3_and_4_gram_of_each_text() -> None:
    contents = [["ldap", "login"], [], ["ab"], ["ünï", "x" * 10], ["a"]]
    hashes, owners = _char_hashes(contents)

    def gram_hash(gram: str) -> int:  # the polynomial over code points, mod 2**64
        value = 0
        for char in gram:
            value = (value * 1_000_003 + ord(char)) % 2**64
        return (value + len(gram)) % 2**64

    expected = sorted(
        (row, gram_hash(text[i : i + n]))
        for row, words in enumerate(contents)
        if words
        for text in [" " + " ".join(words) + " "]
        for n in (3, 4)
        for i in range(len(text) - n + 1)
    )
    assert sorted(zip(owners.tolist(), hashes.tolist(), strict=True)) == expected
    assert len(_char_hashes([])[0]) == len(_char_hashes([[]])[0]) == 0


def test_sentence_transformers_offline_and_auto(tmp_path: Path) -> None:
    settings = seed.hashing_settings(tmp_path).model_copy(
        update={"embedding": EmbeddingSettings(provider="auto")}
    )
    embedder = make_embedder(settings)
    assert embedder.provider == "sentence-transformers" and embedder.dim == 384
    vectors = embedder.embed(TEXTS)
    sims = vectors @ vectors.T
    assert sims[0, 1] > 0.7 > sims[0, 2]


def test_opening_index_of_another_embedder_names_rebuild(tmp_path: Path) -> None:
    settings = seed.hashing_settings(tmp_path / "data")
    store = open_store(settings.store.data_dir)
    seed.small_corpus(store)
    IndexUpdater(settings, store).drain()
    other = IndexUpdater(settings, store, embedder=HashingEmbedder(128))
    with pytest.raises(IndexStateError, match="rrag index --rebuild"):
        other.drain()
    other.rebuild()
    assert other.drain()["sources"] == 0
    store.close()


class _Ollama(BaseHTTPRequestHandler):
    """Speaks Ollama's ``POST /api/embed``: ``{"model", "input"}`` → ``{"embeddings"}``."""

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path != "/api/embed" or body.get("model") != "nomic-embed-text":
            self.send_response(404)
            self.end_headers()
            self.wfile.write(b'{"error": "model not found"}')
            return
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        vectors = HashingEmbedder(32).embed(inputs) * 3.0  # un-normalised on purpose
        payload = json.dumps({"model": body["model"], "embeddings": vectors.tolist()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def ollama() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ollama)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_ollama_embed_over_loopback(ollama: str, tmp_path: Path) -> None:
    settings = seed.hashing_settings(tmp_path / "data").model_copy(
        update={
            "embedding": EmbeddingSettings(provider="ollama", model="nomic-embed-text"),
            "ollama": OllamaSettings(base_url=ollama),
        }
    )
    embedder = make_embedder(settings)
    assert embedder.provider == "ollama" and embedder.dim == 32
    vectors = embedder.embed(TEXTS * 30)  # more than one batch
    assert vectors.shape == (90, 32)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    with pytest.raises(EmbeddingError, match="404"):
        OllamaEmbedder(ollama, "no-such-model", 5.0)
    with pytest.raises(EmbeddingError, match="not reachable"):
        OllamaEmbedder("http://127.0.0.1:9", "nomic-embed-text", 2.0)
