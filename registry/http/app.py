"""The aiohttp application factory: state, middlewares, routes, startup and cleanup."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

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
from registry.core.manifests import ManifestService
from registry.core.projects import ProjectService
from registry.core.pulls import PullCounter
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
    manifests = ManifestService(meta, blob_store, max_bytes=config["limits.max_manifest_bytes"])
    projects = ProjectService(meta, auto_create=config["auth.auto_create_projects"])
    return Services(
        meta=meta,
        blob_store=blob_store,
        blobs=BlobService(meta, blob_store),
        uploads=UploadService(meta, blob_store, limits),
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


async def _purge_uploads_forever(services: Services, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await services.uploads.purge_stale()
        except Exception:
            log.exception("purging stale uploads failed")


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
    purger = asyncio.create_task(_purge_uploads_forever(services, 3600.0))
    yield
    purger.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await purger
    await services.webhooks.stop()
    await close_services(services)


def create_app(config: Config) -> web.Application:
    app = web.Application(
        middlewares=[error_middleware, audit_middleware],
        client_max_size=config["limits.max_json_body_bytes"],
        handler_args={"max_field_size": 16384, "max_line_size": 16384},
    )
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
