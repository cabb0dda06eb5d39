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
from registry.auth import token_endpoint
from registry.auth.access import OpenAccess
from registry.auth.state import build_auth
from registry.config import Config
from registry.core.accounts import AccountService
from registry.core.artifacts import ArtifactService
from registry.core.audit import AuditTrail
from registry.core.blobs import BlobService
from registry.core.catalog import CatalogService
from registry.core.gc import GarbageCollector
from registry.core.manifests import ManifestService
from registry.core.projects import ProjectService
from registry.core.pulls import PullCounter
from registry.core.quotas import QuotaService
from registry.core.repositories import RepositoryService
from registry.core.robots import RobotService
from registry.core.sessions import SessionService
from registry.core.services import Services
from registry.core.uploads import UploadLimits, UploadService
from registry.core.webhook_delivery import WebhookDelivery
from registry.core.webhooks import WebhookPolicies
from registry.distribution.routes import add_routes
from registry.http.audit import audit_middleware
from registry.http.errors import error_middleware
from registry.http.inflight import INFLIGHT, Inflight
from registry.http.keys import ACCESS, AUTH, CONFIG, SERVICES
from storage.blobs import open_blob_store
from storage.meta import open_meta_store

log = logging.getLogger("berth")


async def open_services(config: Config) -> Services:
    """Connect to the configured stores (migrating the schema) and build the services."""
    data_dir = config.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    meta = await open_meta_store(config.section("database"), data_dir)
    try:
        blob_store = await open_blob_store(config.section("storage"), data_dir)
    except BaseException:
        await meta.close()
        raise
    limits = UploadLimits(
        max_sessions_per_client=config["limits.upload_sessions_per_client"],
        stale_after=float(config["limits.upload_stale_after"]),
    )
    accounts = AccountService(meta)
    quotas = QuotaService(meta)
    manifests = ManifestService(meta, blob_store, max_bytes=config["limits.max_manifest_bytes"], quotas=quotas)
    projects = ProjectService(meta, auto_create=config["auth.auto_create_projects"])
    return Services(
        meta=meta,
        blob_store=blob_store,
        blobs=BlobService(meta, blob_store, quotas),
        uploads=UploadService(meta, blob_store, limits, quotas),
        manifests=manifests,
        pulls=PullCounter(meta, float(config["pulls.flush_interval"])),
        accounts=accounts,
        projects=projects,
        robots=RobotService(meta, on_change=accounts.changed),
        audit=AuditTrail(meta),
        artifacts=ArtifactService(meta, blob_store, manifests),
        repositories=RepositoryService(meta, manifests),
        catalog=CatalogService(meta, projects),
        sessions=SessionService(meta, accounts, float(config["api.session_lifetime"])),
        webhooks=WebhookDelivery(WebhookPolicies(meta), queue_size=config["webhooks.queue_size"],
                                 workers=config["webhooks.workers"], retries=config["webhooks.retries"],
                                 timeout=float(config["webhooks.timeout"]),
                                 backoff=float(config["webhooks.backoff"])),
    )


async def close_services(services: Services) -> None:
    await services.pulls.stop()
    await services.audit.stop()
    await services.blob_store.close()
    await services.meta.close()


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
    token_endpoint.add_routes(app)
    return app
