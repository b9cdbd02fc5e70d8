"""``rrag serve [--host H] [--port P]``: run the HTTP service under uvicorn.

Defaults come from ``RRAG_API_HOST`` / ``RRAG_API_PORT`` (127.0.0.1:8000). Without
``RRAG_API_TOKENS`` the service refuses any non-loopback address, and in production it
refuses to start at all. SIGINT/SIGTERM stop it gracefully: running sync jobs are
cancelled at a batch boundary and end ``cancelled``.
"""

from __future__ import annotations

import argparse

from rrag.cli.context import Context


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the HTTP API (uvicorn)")
    p.add_argument("--host", help="address to bind (default: RRAG_API_HOST, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: RRAG_API_PORT, 8000)")
    p.set_defaults(func=cmd_serve)


def cmd_serve(ctx: Context, args: argparse.Namespace) -> int:
    import uvicorn

    from rrag.api import check_bind, create_app
    from rrag.errors import InputError

    host = args.host or ctx.settings.api.host
    port = ctx.settings.api.port if args.port is None else args.port
    if not 0 < port < 65_536:
        raise InputError(f"--port must be between 1 and 65535, got {port}")
    check_bind(ctx.settings, host)
    app = create_app(ctx.settings)
    # access logs off: one line per request costs throughput; rrag logs what matters
    uvicorn.run(
        app, host=host, port=port, access_log=False, log_level="info", timeout_graceful_shutdown=60
    )
    return 0


__all__ = ["register"]
