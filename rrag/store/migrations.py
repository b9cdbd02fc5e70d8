"""Forward-only schema migrations, recorded in ``schema_version``.

Each migration is a list of SQL statements applied in one transaction. The tables match
:mod:`rrag.store.models`; a change to a model comes with a new migration here, never an
edit of an old one. :func:`migrate` is called by :func:`rrag.store.db.open_engine` at
start-up and is safe to run concurrently (``BEGIN IMMEDIATE`` serialises writers).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime

V1: Sequence[str] = (
    """CREATE TABLE projects (
        id INTEGER PRIMARY KEY, identifier TEXT NOT NULL, name TEXT NOT NULL,
        parent_id INTEGER, is_public BOOLEAN NOT NULL DEFAULT 1, status INTEGER,
        updated_on TEXT)""",
    "CREATE TABLE trackers (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
    """CREATE TABLE statuses (id INTEGER PRIMARY KEY, name TEXT NOT NULL,
        is_closed BOOLEAN NOT NULL DEFAULT 0)""",
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
    """CREATE TABLE issues (
        id INTEGER PRIMARY KEY,
        project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        tracker_id INTEGER, tracker TEXT, status_id INTEGER, status TEXT, priority TEXT,
        subject TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT '',
        author_id INTEGER, assigned_to_id INTEGER, category TEXT, fixed_version TEXT,
        parent_id INTEGER, custom_fields TEXT NOT NULL DEFAULT '[]',
        is_private BOOLEAN NOT NULL DEFAULT 0, is_closed BOOLEAN NOT NULL DEFAULT 0,
        created_on TEXT, updated_on TEXT, closed_on TEXT,
        content_hash TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX ix_issues_project_id ON issues(project_id)",
    "CREATE INDEX ix_issues_updated_on ON issues(updated_on)",
    """CREATE TABLE journals (
        id INTEGER PRIMARY KEY,
        issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
        user_id INTEGER, notes TEXT NOT NULL DEFAULT '',
        private_notes BOOLEAN NOT NULL DEFAULT 0, created_on TEXT,
        changes TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX ix_journals_issue_id ON journals(issue_id)",
    """CREATE TABLE wiki_pages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        title TEXT NOT NULL, parent_title TEXT, text TEXT NOT NULL DEFAULT '',
        version INTEGER, updated_on TEXT, content_hash TEXT NOT NULL DEFAULT '',
        UNIQUE (project_id, title))""",
    "CREATE INDEX ix_wiki_pages_project_id ON wiki_pages(project_id)",
    """CREATE TABLE attachments (
        id INTEGER PRIMARY KEY,
        issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
        filename TEXT NOT NULL, filesize INTEGER, content_type TEXT, description TEXT,
        author_id INTEGER, created_on TEXT)""",
    "CREATE INDEX ix_attachments_issue_id ON attachments(issue_id)",
    """CREATE TABLE relations (
        id INTEGER PRIMARY KEY,
        issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
        issue_to_id INTEGER NOT NULL, relation_type TEXT NOT NULL)""",
    "CREATE INDEX ix_relations_issue_id ON relations(issue_id)",
    """CREATE TABLE sync_cursors (project_id INTEGER PRIMARY KEY, updated_on TEXT,
        last_full_at TEXT)""",
    """CREATE TABLE sync_jobs (
        id TEXT PRIMARY KEY, mode TEXT NOT NULL, project_ids TEXT NOT NULL DEFAULT 'null',
        status TEXT NOT NULL DEFAULT 'queued', created_at TEXT NOT NULL,
        started_at TEXT, finished_at TEXT, heartbeat_at TEXT,
        progress FLOAT NOT NULL DEFAULT 0,
        projects INTEGER NOT NULL DEFAULT 0, issues_seen INTEGER NOT NULL DEFAULT 0,
        issues_changed INTEGER NOT NULL DEFAULT 0, issues_deleted INTEGER NOT NULL DEFAULT 0,
        journals INTEGER NOT NULL DEFAULT 0, wiki_pages INTEGER NOT NULL DEFAULT 0,
        errors INTEGER NOT NULL DEFAULT 0, error_type TEXT, error_message TEXT)""",
    "CREATE INDEX ix_sync_jobs_status ON sync_jobs(status)",
    """CREATE TABLE index_queue (source_kind TEXT NOT NULL, source_id INTEGER NOT NULL,
        op TEXT NOT NULL DEFAULT 'upsert', PRIMARY KEY (source_kind, source_id))""",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)

#: the search index's chunk rows (and, until V_DROP_FTS, their FTS5 twin), owned by rrag.index
V_CHUNKS: Sequence[str] = (
    """CREATE TABLE chunks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        source_kind TEXT NOT NULL, source_id INTEGER NOT NULL, kind TEXT NOT NULL,
        issue_id INTEGER, journal_id INTEGER, wiki_title TEXT,
        project_id INTEGER NOT NULL, is_private BOOLEAN NOT NULL DEFAULT 0,
        tracker TEXT, status TEXT, is_closed BOOLEAN NOT NULL DEFAULT 0,
        category TEXT, fixed_version TEXT, subject TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL DEFAULT '', updated_on TEXT,
        content_hash TEXT NOT NULL DEFAULT '', url TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX ix_chunks_source ON chunks(source_kind, source_id)",
    "CREATE INDEX ix_chunks_issue_id ON chunks(issue_id)",
    """CREATE VIRTUAL TABLE chunks_fts USING fts5(subject, text,
        tokenize = 'porter unicode61 remove_diacritics 2')""",
)

#: guardrail events (what a guardrail caught), owned by rrag.guardrails
V_GUARDRAILS: Sequence[str] = (
    """CREATE TABLE guardrail_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, created_at TEXT NOT NULL,
        source TEXT, detail TEXT NOT NULL DEFAULT '{}')""",
    "CREATE INDEX ix_guardrail_events_kind ON guardrail_events(kind)",
)

#: note chunks link Redmine's journal anchor (``#change-<journal id>``, see
#: :func:`rrag.index.chunking.note_url`), not ``#note-N``: N counted the stored journals, and
#: with private notes left out it could name another note. An unchanged issue is never
#: chunked again, so stored links are rewritten here.
V_NOTE_ANCHORS: Sequence[str] = (
    """UPDATE chunks
        SET url = substr(url, 1, instr(url, '#note-') - 1) || '#change-' || journal_id
        WHERE kind = 'note' AND journal_id IS NOT NULL AND instr(url, '#note-') > 0""",
)

#: extraction (owned by rrag.extract): a job ``kind`` (``sync`` | ``extract``) with the
#: extract job's counters as JSON, and one stored extraction per issue, gone with its issue
V_EXTRACTIONS: Sequence[str] = (
    "ALTER TABLE sync_jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'sync'",
    "ALTER TABLE sync_jobs ADD COLUMN extract_counters TEXT",
    """CREATE TABLE extractions (
        issue_id INTEGER PRIMARY KEY REFERENCES issues(id) ON DELETE CASCADE,
        status TEXT NOT NULL, reason TEXT, fields TEXT NOT NULL DEFAULT '{}',
        extractor_version TEXT NOT NULL, model TEXT NOT NULL, content_hash TEXT NOT NULL,
        ungrounded INTEGER NOT NULL DEFAULT 0, extracted_at TEXT NOT NULL)""",
)

#: guardrail events deduplicated (owned by rrag.guardrails): one row per (kind, rule,
#: source) with a ``seen`` count and the last time, so asking again about a flagged passage
#: does not count a new event. Existing rows are folded: their rule is the detail's
#: ``pattern`` (or ``rule``, else the detail itself), their ``seen`` the rows folded.
V_GUARDRAIL_DEDUP: Sequence[str] = (
    "ALTER TABLE guardrail_events ADD COLUMN rule TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE guardrail_events ADD COLUMN seen INTEGER NOT NULL DEFAULT 1",
    "ALTER TABLE guardrail_events ADD COLUMN last_seen_at TEXT",
    """UPDATE guardrail_events SET last_seen_at = created_at, source = COALESCE(source, ''),
        rule = COALESCE(json_extract(detail, '$.pattern'), json_extract(detail, '$.rule'),
                        substr(detail, 1, 200))""",
    """UPDATE guardrail_events SET
        seen = (SELECT COUNT(*) FROM guardrail_events g WHERE g.kind = guardrail_events.kind
                AND g.rule = guardrail_events.rule AND g.source = guardrail_events.source),
        last_seen_at = (SELECT MAX(created_at) FROM guardrail_events g
                WHERE g.kind = guardrail_events.kind AND g.rule = guardrail_events.rule
                AND g.source = guardrail_events.source)""",
    """DELETE FROM guardrail_events WHERE id NOT IN
        (SELECT MIN(id) FROM guardrail_events GROUP BY kind, rule, source)""",
    "CREATE UNIQUE INDEX ux_guardrail_events_key ON guardrail_events(kind, rule, source)",
)

#: lexical search moved to tantivy (``chunks.lexical/`` beside the store, #17): the FTS5
#: table and its shadow tables go. A store migrated here has no lexical index yet; the next
#: ``rrag index`` (or the first search, when no indexer is running) builds it from the
#: chunk rows, and says so in one log line (``lexical_caught_up``).
V_DROP_FTS: Sequence[str] = ("DROP TABLE IF EXISTS chunks_fts",)

#: every migration in order; index ``i`` brings the schema to version ``i + 1``
MIGRATIONS: list[Sequence[str]] = [
    V1,
    V_CHUNKS,
    V_GUARDRAILS,
    V_NOTE_ANCHORS,
    V_EXTRACTIONS,
    V_GUARDRAIL_DEDUP,
    V_DROP_FTS,
]


def current_version(conn: sqlite3.Connection) -> int:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_version'"
    ).fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every pending migration; returns the schema version reached."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version "
            "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        version = current_version(conn)
        for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in statements:
                conn.execute(statement)
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            conn.execute("INSERT INTO schema_version VALUES (?, ?)", (number, stamp))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(MIGRATIONS)


SCHEMA_VERSION = len(MIGRATIONS)

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "current_version", "migrate"]
