"""The application `jiceng serve` runs: Django's WSGI handler for every sync view, in a
thread pool, behind an ASGI server; Django's ASGI handler only for the async paths.

Why (docs/decisions/0048-perf-server.md): Django's ASGI handler runs each sync view
through `sync_to_async(thread_sensitive=True)` — one thread per process for every sync
view, plus the cost of adapting each middleware — while the only view that needs an event
loop is the command centre's server-sent events (`/command/stream/`), which hold a
connection open for hours. So the requests are split by path, in one process and on one
port: the stream stays a native async view, everything else is plain WSGI in threads.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiceng.settings")

from a2wsgi import WSGIMiddleware  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

# Paths served by Django's ASGI handler (async views that stream); everything else: WSGI.
ASYNC_PREFIXES: tuple[str, ...] = ("/command/stream/",)
# Threads per process for the sync views: each holds at most one database connection.
THREADS = int(os.environ.get("JICENG_THREADS", "8") or 8)

_asgi = get_asgi_application()
_wsgi = WSGIMiddleware(get_wsgi_application(), workers=THREADS)  # type: ignore[arg-type]


async def application(scope: Scope, receive: Receive, send: Send) -> None:
    """ASGI entry: route by path (see the module docstring)."""
    if scope["type"] == "http" and not scope["path"].startswith(ASYNC_PREFIXES):
        await _wsgi(scope, receive, send)  # type: ignore[arg-type]
    else:
        await _asgi(scope, receive, send)  # type: ignore[arg-type]
