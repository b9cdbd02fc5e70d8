"""The HTTP service: ``create_app(settings)`` builds the Litestar app ``rrag serve`` runs."""

from rrag.api.app import create_app
from rrag.api.auth import Principal, TokenTable, check_bind

__all__ = ["Principal", "TokenTable", "check_bind", "create_app"]
