"""Route handlers, one module per area; each handler calls into ``rrag`` and nothing more."""

from rrag.api.controllers.extract import start_extract
from rrag.api.controllers.health import healthz
from rrag.api.controllers.search import ask_question, search, similar_issues
from rrag.api.controllers.sync import get_sync_job, list_sync_jobs, start_sync

ROUTES = [
    healthz,
    start_sync,
    get_sync_job,
    list_sync_jobs,
    start_extract,
    search,
    ask_question,
    similar_issues,
]

__all__ = [
    "ROUTES",
    "ask_question",
    "get_sync_job",
    "healthz",
    "list_sync_jobs",
    "search",
    "similar_issues",
    "start_extract",
    "start_sync",
]
