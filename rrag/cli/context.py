"""What every CLI command starts from: settings read once, logging, and the data
directory's parts (:class:`rrag.ops.wiring.Workbench`, opened on first use)."""

from __future__ import annotations

from rrag.logs import configure_logging, register_secrets
from rrag.ops.wiring import Workbench
from rrag.settings import get_settings

#: what a command receives: ``ctx.settings``, ``ctx.store``, ``ctx.retriever()``,
#: ``ctx.after_sync()``
Context = Workbench


def make_context() -> Context:
    settings = get_settings()
    register_secrets(*settings.secrets())
    configure_logging(settings.store.log_level)
    return Context(settings)


__all__ = ["Context", "make_context"]
