"""The local SQLite store: table models, migrations and the :class:`Store` handle."""

from rrag.store.db import Store, open_store
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
    "Status",
    "Store",
    "SyncCursor",
    "SyncJob",
    "Tracker",
    "User",
    "WikiPage",
    "migrate",
    "open_store",
]
