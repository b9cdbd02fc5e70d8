"""Who is asking: the projects a caller may see and whether private content is visible.

Every query runs for a :class:`Caller`. Visibility is applied before the top-k cut (in
the lexical engine's query, with a FAISS selector for vector candidates), so a hidden
chunk can never displace or leak into results.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    """The visibility of one query.

    Attributes:
        project_ids: the projects this caller may see, public or not; ``None`` means
            "every public project" (and no non-public one).
        see_private: whether private issues and private notes are visible.
        every_project: an administrator: every project the store knows, public or not,
            read when the query runs (``project_ids`` is then ignored).
    """

    project_ids: frozenset[int] | None = None
    see_private: bool = False
    every_project: bool = False

    @classmethod
    def default(cls) -> Caller:
        """Public projects only, nothing private."""
        return cls(project_ids=None, see_private=False)


__all__ = ["Caller"]
