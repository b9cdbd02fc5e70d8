"""The sync engine: projects, issues (with journals etc.) and wiki into the store.

Per project, issues are listed oldest-update first and processed page by page; each
page's detail requests run concurrently (``REDMINE_MAX_CONCURRENCY``) while the next page
is listed. A page is committed in one transaction together with the project's cursor,
so the cursor only ever points at committed data. Incremental runs re-read an overlap
window before the cursor (offset paging over changing rows can skip some) and skip
issues whose ``updated_on`` is unchanged; a full run fetches every issue, which is the
only way to see edited notes (Redmine does not bump ``updated_on`` for them), and
removes issues and projects that are gone. Rows whose content hash is unchanged are
never rewritten.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from rrag.errors import InputError, RedmineAuthError, RedmineNotFound, RragError
from rrag.logs import get_logger, log_event
from rrag.settings import Settings
from rrag.store.db import Store
from rrag.store.models import Project, SyncCursor
from rrag.sync import writer
from rrag.sync.client import RedmineClient
from rrag.sync.jobs import Counters
from rrag.sync.normalize import IssueBundle, issue_bundle, wiki_row

log = get_logger("sync.pipeline")
Progress = Callable[[float, Counters], None]
T = TypeVar("T")
#: pages whose detail requests may be queued before the oldest is committed: more than one
#: keeps the fetch pool busy while a page's last requests finish and it is written
PAGES_IN_FLIGHT = 2
Fetched = Future[dict[str, Any] | None]


class SyncCancelled(RragError):
    type_name = "cancelled"


def _shift(stamp: str, seconds: int) -> str:
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")) - timedelta(seconds=seconds)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SyncEngine:
    """One sync run over a set of projects."""

    def __init__(
        self,
        store: Store,
        client: RedmineClient,
        settings: Settings,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        self.store, self.client, self.settings = store, client, settings
        self.counters = Counters()
        self._progress = progress or (lambda _f, _c: None)
        self._cancel = cancel or threading.Event()
        self._closed: set[int] = set()
        self._started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    # -- entry point -------------------------------------------------------------------
    def run(self, mode: str, project_ids: list[int] | None = None) -> Counters:
        full = mode == "full"
        scope = self._prepare(project_ids, full)
        self.counters.projects = len(scope)
        seen: set[int] = set()
        workers = self.settings.redmine.max_concurrency
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rrag-fetch") as pool:
            for n, project in enumerate(scope):
                seen |= self._sync_issues(pool, project.id, full, n, len(scope))
                self._sync_wiki(project.id)
                self._progress((n + 1) / max(1, len(scope)), self.counters)
        if full:
            self._remove_missing([p.id for p in scope], seen)
        return self.counters

    def _prepare(self, project_ids: list[int] | None, full: bool) -> list[Project]:
        statuses = self.client.statuses()
        self._closed = {int(s["id"]) for s in statuses if s.get("is_closed")}
        projects = self.client.projects()
        visible = {int(p["id"]) for p in projects}
        missing = sorted(set(project_ids or []) - visible)
        if missing:
            raise InputError(
                f"project(s) {missing} do not exist or are not visible to this key",
                project_ids=missing,
            )
        with self.store.write() as session:
            writer.save_reference(session, self.client.trackers(), statuses)
            writer.save_projects(session, projects)
            if full and not project_ids:
                gone = [p for p in session.exec(_all_project_ids()).all() if p not in visible]
                writer.delete_projects(session, gone)
        wanted = set(project_ids) if project_ids else visible
        return sorted((_project(p) for p in projects if int(p["id"]) in wanted), key=lambda p: p.id)

    # -- issues ------------------------------------------------------------------------
    def _sync_issues(
        self, pool: ThreadPoolExecutor, project_id: int, full: bool, n: int, of: int
    ) -> set[int]:
        since = None if full else self._since(project_id)
        seen: set[int] = set()
        pending: deque[tuple[list[dict[str, Any]], dict[int, Fetched]]] = deque()
        for items, total in self._pages(project_id, since):
            fresh = [i for i in items if int(i["id"]) not in seen]
            seen.update(int(i["id"]) for i in fresh)
            self.counters.issues_seen += len(fresh)
            pending.append((fresh, self._fetch_changed(pool, fresh, full)))
            if len(pending) > PAGES_IN_FLIGHT:
                self._commit(project_id, *pending.popleft(), full=full)
                self._progress(
                    (n + min(1.0, len(seen) / max(1, total))) / max(1, of), self.counters
                )
        while pending:
            self._commit(project_id, *pending.popleft(), full=full)
        return seen

    def _pages(
        self, project_id: int, since: str | None
    ) -> Iterator[tuple[list[dict[str, Any]], int]]:
        for items, total in _prefetched(self.client.issue_pages(project_id, since)):
            if self._cancel.is_set():
                raise SyncCancelled("sync cancelled")
            yield items, total

    def _since(self, project_id: int) -> str | None:
        with self.store.session() as session:
            cursor = session.get(SyncCursor, project_id)
        if cursor is None or not cursor.updated_on:
            return None
        return _shift(cursor.updated_on, self.settings.store.sync_overlap_s)

    def _fetch_changed(
        self, pool: ThreadPoolExecutor, items: list[dict[str, Any]], full: bool
    ) -> dict[int, Fetched]:
        with self.store.session() as session:
            known = writer.stored_hashes(session, [int(i["id"]) for i in items])
        return {
            int(i["id"]): pool.submit(self._fetch, int(i["id"]))
            for i in items
            if full or int(i["id"]) not in known or known[int(i["id"])][1] != i.get("updated_on")
        }

    def _fetch(self, issue_id: int) -> dict[str, Any] | None:
        if self._cancel.is_set():
            return None
        try:
            return self.client.issue(issue_id)
        except (RedmineNotFound, RedmineAuthError) as exc:
            # deleted (404) or no longer visible to this key (403) since it was listed
            if isinstance(exc, RedmineAuthError) and exc.status == 401:
                raise
            return None

    def _commit(
        self, project_id: int, items: list[dict[str, Any]], futures: dict[int, Fetched], full: bool
    ) -> None:
        details = {issue_id: f.result() for issue_id, f in futures.items()}
        if self._cancel.is_set():
            raise SyncCancelled("sync cancelled")
        bundles = [self._bundle(raw) for raw in details.values() if raw is not None]
        gone = [issue_id for issue_id, raw in details.items() if raw is None]
        cursor = max((str(i["updated_on"]) for i in items if i.get("updated_on")), default=None)
        with self.store.session() as session:
            known = writer.stored_hashes(session, [b.issue["id"] for b in bundles])
            previous = session.get(SyncCursor, project_id)
        changed = [
            b for b in bundles if known.get(b.issue["id"], ("",))[0] != b.issue["content_hash"]
        ]
        moved = cursor is not None and (previous is None or (previous.updated_on or "") < cursor)
        moved = moved or (full and cursor is not None)
        if not (changed or gone or moved):
            return  # nothing new: a sync with no changes writes nothing
        with self.store.write() as session:
            self.counters.journals += writer.save_bundles(session, changed)
            self.counters.issues_deleted += writer.delete_issues(session, gone)
            if moved:
                writer.save_cursor(session, project_id, cursor, self._started if full else None)
        self.counters.issues_changed += len(changed)

    def _bundle(self, raw: dict[str, Any]) -> IssueBundle:
        store = self.settings.store
        bundle = issue_bundle(raw, self._closed, store.index_private, store.max_text_bytes)
        for what in bundle.truncated:
            log_event(log, "text_truncated", what=what, max_bytes=store.max_text_bytes)
        return bundle

    def _remove_missing(self, project_ids: list[int], seen: set[int]) -> None:
        with self.store.write() as session:
            stale = writer.stored_issue_ids(session, project_ids) - seen
            self.counters.issues_deleted += writer.delete_issues(session, stale)

    # -- wiki --------------------------------------------------------------------------
    def _sync_wiki(self, project_id: int) -> None:
        try:
            index = self.client.wiki_index(project_id)
        except RedmineNotFound:
            index = []  # no wiki module (or no wiki yet): nothing to keep
        with self.store.session() as session:
            stored = writer.wiki_versions(session, project_id)
        listed = {str(p["title"]) for p in index}
        changed = [
            p
            for p in index
            if stored.get(str(p["title"]), (0, None, None))[1:]
            != (p.get("version"), p.get("updated_on"))
        ]
        for meta in changed:
            self._save_page(project_id, str(meta["title"]))
        gone = [row_id for title, (row_id, _v, _u) in stored.items() if title not in listed]
        if gone:
            with self.store.write() as session:
                writer.delete_wiki(session, gone)

    def _save_page(self, project_id: int, title: str) -> None:
        try:
            raw = self.client.wiki_page(project_id, title)
        except RedmineNotFound:
            return  # deleted between index and fetch; the next run drops it
        page, cut = wiki_row(raw, project_id, self.settings.store.max_text_bytes)
        if cut:
            log_event(log, "text_truncated", what=f"wiki {title}")
        with self.store.write() as session:
            writer.save_wiki(session, page)
        self.counters.wiki_pages += 1


def _prefetched(pages: Iterator[T]) -> Iterator[T]:
    """Iterate ``pages`` one item ahead on a helper thread.

    A list page of 100 issues is Redmine's slowest request; fetching the next one while the
    current page's issues are fetched and committed keeps it off the critical path.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rrag-list") as lister:
        ahead = lister.submit(next, pages, None)
        while (item := ahead.result()) is not None:
            ahead = lister.submit(next, pages, None)
            yield item


def _all_project_ids() -> Any:
    from sqlmodel import select

    return select(Project.id)


def _project(raw: dict[str, Any]) -> Project:
    return Project(
        id=int(raw["id"]), identifier=str(raw.get("identifier", "")), name=str(raw.get("name", ""))
    )


__all__ = ["SyncCancelled", "SyncEngine"]
