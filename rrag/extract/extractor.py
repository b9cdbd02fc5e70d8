"""One issue through the model, and one batch of issues with the requests in parallel.

:meth:`Extractor.extract` turns an issue into an extraction row (``ok`` with its
grounded fields, or ``failed`` with its reason) plus the guardrail events it raised. A
reply the schema refuses is a ``schema_violation`` and the issue fails; the run goes on.
The runtime being down or slow (:class:`~rrag.errors.LLMError`) is not the issue's
fault: it propagates, and the batch in flight is abandoned uncommitted.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from rrag.extract.grounding import ground
from rrag.extract.prompt import build_messages, issue_text
from rrag.extract.records import extraction_row
from rrag.extract.schema import EXTRACTOR_VERSION, is_empty, json_schema, parse_fields
from rrag.guardrails import mask_secrets, strip_invisible
from rrag.llm.reply import Violation
from rrag.llm.runtime import ChatModel
from rrag.logs import get_logger, log_event
from rrag.store.models import Issue, Journal

log = get_logger("extract")
#: the longest reply asked for; the schema's bounds (rrag.extract.schema) keep a reply
#: at every maximum under it
EXTRACT_MAX_TOKENS = 1024
Event = tuple[str, str, dict[str, Any]]


@dataclass
class Extracted:
    """One issue's outcome: its extraction row and the guardrail events it raised."""

    row: dict[str, Any]
    events: list[Event] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.row["status"] == "ok")


class Extractor:
    """Extract issues with ``model`` under one extractor version."""

    def __init__(
        self, model: ChatModel, max_concurrency: int, version: str = EXTRACTOR_VERSION
    ) -> None:
        self.model, self.version = model, version
        self.max_concurrency = max_concurrency
        self.model_name = f"{model.provider}:{model.model}"
        self._schema = json_schema()

    def extract(self, issue: Issue, journals: list[Journal]) -> Extracted:
        """The issue's extraction; LLMError when the runtime fails."""
        # the model never sees a secret or an invisible character, so no field can carry one
        text = mask_secrets(strip_invisible(issue_text(issue, journals)))[0]
        raw = self.model.chat_json(
            build_messages(text), self._schema, max_tokens=EXTRACT_MAX_TOKENS
        )
        parsed = parse_fields(raw)
        if isinstance(parsed, Violation):
            event = ("schema_violation", f"issue:{issue.id}", {"problem": parsed.problem})
            return self._failed(issue, f"schema_violation: {parsed.problem}", [event])
        fields, claims = ground(parsed, text)
        events: list[Event] = [
            ("ungrounded_claim", f"issue:{issue.id}", {"field": c.field, "missing": c.missing})
            for c in claims
        ]
        if is_empty(fields):
            return self._failed(issue, "ungrounded: nothing the issue supports", events)
        row = self._row(issue, "ok", fields, None, len(claims))
        return Extracted(row, events)

    def _row(
        self, issue: Issue, status: str, fields: dict[str, Any], reason: str | None, ungrounded: int
    ) -> dict[str, Any]:
        return extraction_row(
            issue, status, fields, reason=reason, version=self.version,
            model=self.model_name, ungrounded=ungrounded,
        )  # fmt: skip

    def _failed(self, issue: Issue, reason: str, events: list[Event]) -> Extracted:
        log_event(
            log,
            "extract_issue_failed",
            issue_id=issue.id,
            reason=reason,
            extractor_version=self.version,
        )
        ungrounded = sum(1 for kind, *_ in events if kind == "ungrounded_claim")
        return Extracted(self._row(issue, "failed", {}, reason, ungrounded), events)

    def batch(self, issues: list[tuple[Issue, list[Journal]]]) -> list[Extracted]:
        """Every issue of the batch, up to ``max_concurrency`` requests at once.

        The first LLMError cancels what has not started and propagates once the requests
        in flight end (each within the timeout): the batch is then lost as a whole.
        """
        workers = max(1, min(self.max_concurrency, len(issues)))
        with ThreadPoolExecutor(workers, thread_name_prefix="rrag-extract") as pool:
            futures = [pool.submit(self.extract, issue, js) for issue, js in issues]
            try:
                return [f.result() for f in futures]
            except BaseException:
                for future in futures:
                    future.cancel()
                raise


__all__ = ["EXTRACT_MAX_TOKENS", "Extracted", "Extractor"]
