"""Who holds a data directory: the file locks that guard the store and its index.

The lock files live in ``RRAG_DATA_DIR`` next to the database they guard. They are
``flock`` locks, which die with their process, so a killed holder never leaves a
stale lock:

* ``sync.lock`` — exclusive, held by a running sync job;
* ``extract.lock`` — exclusive, held by a running extraction job;
* ``index.lock`` — exclusive, held by the index updater while it bumps the store's
  ``index_generation`` and saves the matching index files;
* ``serve.lock`` — *shared*, held by every API server process for its lifetime
  (:class:`ServeLock`); a restore takes it exclusively, so it fails while any server runs;
* ``restore.lock`` — exclusive, held by a restore for its whole duration and briefly by
  start-up recovery, so nobody opens the store in the middle of a swap.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rrag.errors import StoreBusy
from rrag.store.files import private_dir

SYNC_LOCK = "sync.lock"
EXTRACT_LOCK = "extract.lock"
INDEX_LOCK = "index.lock"
SERVE_LOCK = "serve.lock"
RESTORE_LOCK = "restore.lock"


class StoreLock:
    """An exclusive, process-bound lock file in a data directory (``sync.lock`` unless
    named otherwise)."""

    def __init__(self, data_dir: Path, name: str = SYNC_LOCK) -> None:
        self.path = Path(data_dir) / name
        self._fd: int | None = None

    def acquire(self, blocking: bool = False) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def held_elsewhere(self) -> bool:
        """True when another process (or handle) holds the lock right now."""
        if self.acquire():
            self.release()
            return False
        return True


class ServeLock:
    """The shared lock an API server holds while it serves ``data_dir``."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / SERVE_LOCK
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the shared lock; StoreBusy while a restore holds it exclusively."""
        private_dir(self.path.parent)  # the server takes this before opening the store
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreBusy(
                f"a restore is replacing the store in {self.path.parent}; "
                "start the server when it has finished"
            ) from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def acquire_within(lock: StoreLock, timeout_s: float, poll_s: float = 0.05) -> bool:
    """Try ``lock`` until ``timeout_s`` has passed; True when acquired."""
    deadline = time.monotonic() + timeout_s
    while not lock.acquire():
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll_s)
    return True


@contextmanager
def exclusive_store(data_dir: Path) -> Iterator[None]:
    """Hold restore, sync and serve locks exclusively, or raise StoreBusy naming the holder."""
    held: list[StoreLock] = []
    wanted = [
        (RESTORE_LOCK, "another restore"),
        (SYNC_LOCK, "a sync job"),
        (INDEX_LOCK, "the indexer"),
        (SERVE_LOCK, "the API server"),
    ]
    try:
        for name, holder in wanted:
            lock = StoreLock(data_dir, name)
            if not lock.acquire():
                raise StoreBusy(
                    f"{holder} holds the store in {data_dir} ({name}); "
                    "stop it (or wait for it to finish) and retry",
                    holder=name,
                )
            held.append(lock)
        yield
    finally:
        for lock in reversed(held):
            lock.release()


def busy_holders(data_dir: Path) -> list[str]:
    """Names of the lock files some other process holds right now (for health checks)."""
    if not Path(data_dir).is_dir():
        return []
    found = []
    for name in (SYNC_LOCK, INDEX_LOCK, RESTORE_LOCK, SERVE_LOCK):
        if (Path(data_dir) / name).exists() and StoreLock(data_dir, name).held_elsewhere():
            found.append(name)
    return found


__all__ = [
    "EXTRACT_LOCK",
    "INDEX_LOCK",
    "RESTORE_LOCK",
    "SERVE_LOCK",
    "SYNC_LOCK",
    "ServeLock",
    "StoreLock",
    "acquire_within",
    "busy_holders",
    "exclusive_store",
]
