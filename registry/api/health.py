"""Liveness endpoints that need no credentials (load balancers, container HEALTHCHECK)."""
from __future__ import annotations

from aiohttp import web


async def ping(request: web.Request) -> web.Response:
    return web.Response(text="Pong", content_type="text/plain")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v2.0/ping", ping)
