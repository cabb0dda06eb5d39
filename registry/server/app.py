"""The aiohttp application factory: state, middlewares, routes, startup and cleanup."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from registry import ui
from registry.api import health, session
from registry.api import routes as api_routes
from registry.distribution import token_service
from registry.auth.access import OpenAccess
from registry.auth.state import build_auth
from registry.config import Config
from registry.core.gc import GarbageCollector
from registry.core.services import Services, close_services, open_services
from registry.distribution.routes import add_routes
from registry.http.audit import audit_middleware
from registry.http.errors import error_middleware
from registry.http.inflight import INFLIGHT, Inflight
from registry.http.appkeys import ACCESS, AUTH, CONFIG, SERVICES

log = logging.getLogger("berth")


async def _repeat(every: float, job: Callable[[], Awaitable[object]], what: str) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await job()
        except Exception:
            log.exception("%s failed", what)


def _maintenance(services: Services, config: Config) -> list[asyncio.Task]:
    """Background upkeep: stale upload purging and, when scheduled, garbage collection."""
    tasks = [asyncio.create_task(_repeat(float(config["limits.upload_purge_interval"]),
                                         services.uploads.purge_stale, "purging stale uploads"))]
    if config["gc.interval"] > 0:
        collector = GarbageCollector(services.meta, services.blob_store, services.manifests.cache.drop)
        tasks.append(asyncio.create_task(_repeat(
            float(config["gc.interval"]),
            lambda: collector.run(float(config["gc.grace"]), untagged=config["gc.untagged"]),
            "garbage collection")))
    return tasks


async def _services_ctx(app: web.Application) -> AsyncIterator[None]:
    services = await open_services(app[CONFIG])
    app[SERVICES] = services
    if app[CONFIG]["auth.enabled"]:
        auth = await build_auth(services, app[CONFIG])
        app[AUTH] = auth
        app[ACCESS] = auth.access
    services.pulls.start()
    services.audit.start()
    services.webhooks.start()
    upkeep = _maintenance(services, app[CONFIG])
    yield
    for task in upkeep:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await services.webhooks.stop()
    await close_services(services)


def create_app(config: Config) -> web.Application:
    inflight = Inflight()
    app = web.Application(
        middlewares=[inflight.middleware, error_middleware, audit_middleware],
        client_max_size=config["limits.max_json_body_bytes"],
        handler_args={"max_field_size": 16384, "max_line_size": 16384},
    )
    app[INFLIGHT] = inflight
    app[CONFIG] = config
    app[ACCESS] = OpenAccess()
    app.cleanup_ctx.append(_services_ctx)
    add_routes(app)
    health.add_routes(app)
    api_routes.add_routes(app)
    session.add_routes(app)
    ui.add_routes(app)
    if config["auth.enabled"]:
        token_service.add_routes(app)
    return app
