"""Operations: the wiring that opens a data directory, backup, restore, maintenance,
diagnostics and soak tests.

Procedures an on-call engineer runs (``rrag ops ...`` and the notebooks in ``runbooks/``).
"""

from rrag.ops.backup import backup, list_snapshots
from rrag.ops.restore import plan_restore, restore
from rrag.ops.snapshot import verify_snapshot
from rrag.ops.swap import recover_restore
from rrag.ops.wiring import Workbench
from rrag.store.locks import SERVE_LOCK, ServeLock, busy_holders

__all__ = [
    "SERVE_LOCK",
    "ServeLock",
    "Workbench",
    "backup",
    "busy_holders",
    "list_snapshots",
    "plan_restore",
    "recover_restore",
    "restore",
    "verify_snapshot",
]
