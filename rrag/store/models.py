"""Table models of the local store (one class per table).

These are storage rows, not API schemas. Ids are Redmine's own ids wherever Redmine has
them, so upserts are keyed by them and idempotent. Timestamps are UTC ISO-8601 strings
as Redmine sends them (``2026-11-29T17:00:00Z``), which sort correctly as text.
The DDL that creates these tables lives in :mod:`rrag.store.migrations`.
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class SchemaVersion(SQLModel, table=True):
    __tablename__ = "schema_version"
    version: int = Field(primary_key=True)
    applied_at: str


class Project(SQLModel, table=True):
    __tablename__ = "projects"
    id: int = Field(primary_key=True)
    identifier: str
    name: str
    parent_id: int | None = None
    is_public: bool = True
    status: int | None = None
    updated_on: str | None = None


class Tracker(SQLModel, table=True):
    __tablename__ = "trackers"
    id: int = Field(primary_key=True)
    name: str


class Status(SQLModel, table=True):
    __tablename__ = "statuses"
    id: int = Field(primary_key=True)
    name: str
    is_closed: bool = False


class User(SQLModel, table=True):
    __tablename__ = "users"
    id: int = Field(primary_key=True)
    name: str


class Issue(SQLModel, table=True):
    __tablename__ = "issues"
    id: int = Field(primary_key=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    tracker_id: int | None = None
    tracker: str | None = None
    status_id: int | None = None
    status: str | None = None
    priority: str | None = None
    subject: str = ""
    description: str = ""
    author_id: int | None = None
    assigned_to_id: int | None = None
    category: str | None = None
    fixed_version: str | None = None
    parent_id: int | None = None
    custom_fields: str = "[]"
    is_private: bool = False
    is_closed: bool = False
    created_on: str | None = None
    updated_on: str | None = Field(default=None, index=True)
    closed_on: str | None = None
    content_hash: str = ""


class Journal(SQLModel, table=True):
    __tablename__ = "journals"
    id: int = Field(primary_key=True)
    issue_id: int = Field(foreign_key="issues.id", index=True)
    user_id: int | None = None
    notes: str = ""
    private_notes: bool = False
    created_on: str | None = None
    changes: str = ""


class WikiPage(SQLModel, table=True):
    __tablename__ = "wiki_pages"
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    title: str
    parent_title: str | None = None
    text: str = ""
    version: int | None = None
    updated_on: str | None = None
    content_hash: str = ""


class Attachment(SQLModel, table=True):
    __tablename__ = "attachments"
    id: int = Field(primary_key=True)
    issue_id: int = Field(foreign_key="issues.id", index=True)
    filename: str
    filesize: int | None = None
    content_type: str | None = None
    description: str | None = None
    author_id: int | None = None
    created_on: str | None = None


class Relation(SQLModel, table=True):
    __tablename__ = "relations"
    id: int = Field(primary_key=True)
    issue_id: int = Field(foreign_key="issues.id", index=True)
    issue_to_id: int
    relation_type: str


class SyncCursor(SQLModel, table=True):
    __tablename__ = "sync_cursors"
    project_id: int = Field(primary_key=True)
    updated_on: str | None = None
    last_full_at: str | None = None


class SyncJob(SQLModel, table=True):
    __tablename__ = "sync_jobs"
    id: str = Field(primary_key=True)
    mode: str
    project_ids: str = "null"
    status: str = Field(default="queued", index=True)
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    heartbeat_at: str | None = None
    progress: float = 0.0
    projects: int = 0
    issues_seen: int = 0
    issues_changed: int = 0
    issues_deleted: int = 0
    journals: int = 0
    wiki_pages: int = 0
    errors: int = 0
    error_type: str | None = None
    error_message: str | None = None
    kind: str = "sync"  # "sync" | "extract"
    extract_counters: str | None = None  # JSON: an extract job's counters


class Extraction(SQLModel, table=True):
    """What the LLM extracted from one issue (rrag.extract), or why it failed."""

    __tablename__ = "extractions"
    issue_id: int = Field(primary_key=True, foreign_key="issues.id")
    status: str  # "ok" | "failed"
    reason: str | None = None
    fields: str = "{}"  # JSON: the schema's fields (rrag.extract.schema)
    extractor_version: str
    model: str
    content_hash: str
    ungrounded: int = 0
    extracted_at: str


class IndexQueue(SQLModel, table=True):
    """Sources whose chunks must be rebuilt or dropped; written in the sync transaction."""

    __tablename__ = "index_queue"
    source_kind: str = Field(primary_key=True)  # "issue" | "wiki"
    source_id: int = Field(primary_key=True)
    op: str = "upsert"  # "upsert" | "delete"


class Meta(SQLModel, table=True):
    """Small key/value facts about the store (e.g. the index generation)."""

    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str


__all__ = [
    "Attachment",
    "Extraction",
    "IndexQueue",
    "Issue",
    "Journal",
    "Meta",
    "Project",
    "Relation",
    "SchemaVersion",
    "Status",
    "SyncCursor",
    "SyncJob",
    "Tracker",
    "User",
    "WikiPage",
]
