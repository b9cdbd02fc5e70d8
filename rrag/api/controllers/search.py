"""Search, ask and similar issues: all under the caller's visibility."""

from __future__ import annotations

from typing import Annotated

from litestar import get, post
from litestar.params import JSONBody, PathParameter, QueryParameter

from rrag.api.auth import PrincipalDep, allowed_projects
from rrag.api.schemas import MAX_ID, AskRequest, SearchRequest
from rrag.api.services import ServicesDep, caller_for
from rrag.llm import Answer, ask
from rrag.logs import get_logger, log_event
from rrag.retrieval import SearchResults
from rrag.retrieval.query import DEFAULT_K, MAX_K

log = get_logger("api.search")


@post("/v1/search", status_code=200, summary="Search issues", tags=["search"], sync_to_thread=True)
def search(
    data: JSONBody[SearchRequest], services: ServicesDep, principal: PrincipalDep
) -> SearchResults:
    """The same result shape as ``rrag search --json``."""
    project_ids = allowed_projects(principal, data.project_ids)
    result = services.retriever().search(
        data.query,
        k=data.k,
        mode=data.mode,
        caller=caller_for(principal),
        project_ids=project_ids,
    )
    log_event(
        log,
        "search_served",
        retrieval_mode=result.ran,
        requested_mode=data.mode,
        k=data.k,
        results=len(result.results),
        took_ms=result.took_ms,
    )
    return result


@post(
    "/v1/ask",
    status_code=200,
    summary="Answer a question with citations",
    tags=["search"],
    sync_to_thread=True,
)
def ask_question(
    data: JSONBody[AskRequest], services: ServicesDep, principal: PrincipalDep
) -> Answer:
    """A generated answer checked sentence by sentence against its sources (or quoted
    sentences when no LLM is configured or it fails), with ``[n]`` citations; the same
    shape as ``rrag ask --json``. Never a 5xx for a slow or absent LLM runtime."""
    project_ids = allowed_projects(principal, data.project_ids)
    return ask(
        services.store,
        services.retriever().search,
        data.question,
        data.k,
        caller_for(principal),
        project_ids,
        services.answerer(),
    )


@get(
    "/v1/issues/{issue_id:int}/similar",
    summary="Issues similar to one issue",
    tags=["search"],
    sync_to_thread=True,
)
def similar_issues(
    services: ServicesDep,
    principal: PrincipalDep,
    issue_id: Annotated[int, PathParameter(ge=1, le=MAX_ID, description="a Redmine issue id")],
    k: Annotated[int, QueryParameter(ge=1, le=MAX_K, description="how many results")] = DEFAULT_K,
) -> SearchResults:
    """Likely duplicates of an issue (itself left out), best first: the shape of a search."""
    return services.retriever().similar(issue_id=issue_id, k=k, caller=caller_for(principal))


__all__ = ["ask_question", "search", "similar_issues"]
