"""Operations: backup, restore, maintenance, health and soak tests.

Procedures an on-call engineer runs (``rrag ops ...`` and the notebooks in ``runbooks/``).
"""

from rrag.ops.backup import backup, list_snapshots
from rrag.ops.manifest import verify_snapshot
from rrag.ops.restore import plan_restore, restore
from rrag.ops.swap import recover_restore
from rrag.store.locks import SERVE_LOCK, ServeLock, busy_holders

__all__ = [
    "SERVE_LOCK",
    "ServeLock",
    "backup",
    "busy_holders",
    "list_snapshots",
    "plan_restore",
    "recover_restore",
    "restore",
    "verify_snapshot",
]
