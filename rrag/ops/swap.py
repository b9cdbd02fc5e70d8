"""The crash-safe swap of database + index, and the start-up recovery that finishes it.

A restore stages the snapshot's files in ``DATA_DIR/.restore-staging`` (verified copies),
then writes the intent journal ``DATA_DIR/.restore-intent.json`` and only then touches
live files, in a fixed order: every old file (``rrag.db-wal`` and ``-shm`` first, then
``rrag.db``, ``chunks.index``, ``chunks.meta.json``, the ``chunks.lexical`` directory) is
renamed into
``DATA_DIR/.restore-aside``, then every staged file is renamed into place. Renames
within one directory tree are atomic; each step checks what is already done, so the
steps can be re-run from any point. The journal is removed once every file is in place
and only then are the replaced files deleted.

Recovery rolls *forward*: the journal is written only after staging was complete and
verified, so whenever it exists the new pair can be completed. Without a journal a
crash happened before any live file moved (leftover staging is discarded) or after the
swap finished (leftover aside files are discarded). Either way the data directory holds
one whole pair — the old one or the new one — never a mix.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

from rrag.logs import get_logger, log_event
from rrag.ops.durable import fsync_path, write_atomic
from rrag.ops.snapshot import DB_NAME, PAIR_ENTRIES
from rrag.store.files import private_dir
from rrag.store.locks import RESTORE_LOCK, StoreLock

log = get_logger("ops.swap")
STAGING = ".restore-staging"
ASIDE = ".restore-aside"
INTENT = ".restore-intent.json"
DB_COMPANIONS = ("rrag.db-wal", "rrag.db-shm")
SWAP_ORDER = (*DB_COMPANIONS, *PAIR_ENTRIES)
Step = Callable[[], None]


@dataclass
class SwapPlan:
    """What one swap moves: which staged files come in, which live files go aside."""

    data_dir: str
    new_files: list[str]
    old_files: list[str]

    @property
    def root(self) -> Path:
        return Path(self.data_dir)


def _aside(plan: SwapPlan, name: str) -> None:
    live, kept = plan.root / name, plan.root / ASIDE / name
    owner = DB_NAME if name in DB_COMPANIONS else name
    replaced_already = owner in plan.new_files and not (plan.root / STAGING / owner).exists()
    if live.exists() and not kept.exists() and not replaced_already:
        os.replace(live, kept)


def _bring_in(plan: SwapPlan, name: str) -> None:
    staged = plan.root / STAGING / name
    if staged.exists():
        os.replace(staged, plan.root / name)


def _sync_dirs(plan: SwapPlan) -> None:
    fsync_path(plan.root / ASIDE)
    fsync_path(plan.root)


def swap_steps(plan: SwapPlan) -> list[Step]:
    """The swap as idempotent steps, in order (tests run prefixes of it to simulate crashes)."""
    steps: list[Step] = [partial(_aside, plan, n) for n in SWAP_ORDER if n in plan.old_files]
    steps.append(partial(_sync_dirs, plan))
    steps += [partial(_bring_in, plan, n) for n in PAIR_ENTRIES if n in plan.new_files]
    steps.append(partial(fsync_path, plan.root))
    return steps


def begin(plan: SwapPlan) -> None:
    """Write the journal: from here on the new pair wins."""
    private_dir(plan.root / ASIDE)
    write_atomic(plan.root / INTENT, json.dumps(asdict(plan)).encode())


def finish(data_dir: Path) -> None:
    """Drop the journal, then the replaced files and any staging leftovers."""
    intent = Path(data_dir) / INTENT
    if intent.exists():
        intent.unlink()
        fsync_path(Path(data_dir))
    for leftover in (ASIDE, STAGING):
        shutil.rmtree(Path(data_dir) / leftover, ignore_errors=True)
    for tmp in Path(data_dir).glob(f".{INTENT}.tmp-*"):
        tmp.unlink(missing_ok=True)


def run_swap(plan: SwapPlan) -> None:
    begin(plan)
    for step in swap_steps(plan):
        step()
    finish(plan.root)


def pending(data_dir: Path) -> bool:
    root = Path(data_dir)
    return any((root / name).exists() for name in (INTENT, STAGING, ASIDE))


def recover_locked(data_dir: Path) -> str:
    """Finish or clean up an interrupted restore; the caller holds ``restore.lock``."""
    root = Path(data_dir)
    if not pending(root):
        return "none"
    if (root / INTENT).exists():
        plan = SwapPlan(**json.loads((root / INTENT).read_bytes()))
        plan.data_dir = str(root)  # the directory may have been moved since
        for step in swap_steps(plan):
            step()
        finish(root)
        log_event(log, "restore_recovered", data_dir=str(root), outcome="completed")
        return "completed"
    finish(root)
    log_event(log, "restore_recovered", data_dir=str(root), outcome="cleaned")
    return "cleaned"


def recover_restore(data_dir: Path) -> str:
    """Call before opening the store: ``'none'``, ``'completed'`` or ``'cleaned'``.

    Cheap when nothing is pending (three ``stat`` calls). Otherwise waits for a running
    restore to finish (``restore.lock``), then completes or cleans up after a crashed one.
    """
    if not pending(Path(data_dir)):
        return "none"
    lock = StoreLock(Path(data_dir), RESTORE_LOCK)
    lock.acquire(blocking=True)
    try:
        return recover_locked(Path(data_dir))
    finally:
        lock.release()


__all__ = [
    "ASIDE",
    "INTENT",
    "STAGING",
    "SWAP_ORDER",
    "SwapPlan",
    "begin",
    "finish",
    "pending",
    "recover_locked",
    "recover_restore",
    "run_swap",
    "swap_steps",
]
