"""The local SQLite store: table models, migrations, the :class:`Store` handle and the
file locks that guard a data directory."""

from rrag.store.db import Store, open_store
from rrag.store.locks import ServeLock, StoreLock
from rrag.store.migrations import SCHEMA_VERSION, migrate
from rrag.store.models import (
    Attachment,
    IndexQueue,
    Issue,
    Journal,
    Meta,
    Project,
    Relation,
    Status,
    SyncCursor,
    SyncJob,
    Tracker,
    User,
    WikiPage,
)

__all__ = [
    "SCHEMA_VERSION",
    "Attachment",
    "IndexQueue",
    "Issue",
    "Journal",
    "Meta",
    "Project",
    "Relation",
    "ServeLock",
    "Status",
    "Store",
    "StoreLock",
    "SyncCursor",
    "SyncJob",
    "Tracker",
    "User",
    "WikiPage",
    "migrate",
    "open_store",
]
