"""The small labelled world the retrieval tests search: a real store and FAISS file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rrag.cli.main import main
from rrag.index import IndexUpdater
from rrag.retrieval import Retriever
from rrag.settings import Settings, get_settings
from rrag.store.db import open_store
from tests.index import seed


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Any]:
    settings = seed.hashing_settings(tmp_path / "data")
    store = open_store(settings.store.data_dir)
    seed.small_corpus(store)
    IndexUpdater(settings, store).drain()
    yield settings, store, Retriever(settings, store)
    store.close()


def cli(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: Any, *argv: str
) -> tuple[int, str, str]:
    monkeypatch.setenv("RRAG_DATA_DIR", str(settings.store.data_dir))
    monkeypatch.setenv("EMBEDDING_PROVIDER", "hashing")
    get_settings.cache_clear()
    code = main(list(argv))
    get_settings.cache_clear()
    out = capsys.readouterr()
    return code, out.out, out.err
