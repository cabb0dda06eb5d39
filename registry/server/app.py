"""The aiohttp application factory: state, middlewares, routes, startup and cleanup."""
from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from registry import ui
from registry.api import health, oidc_login, session
from registry.api import routes as api_routes
from registry.distribution import token_service
from registry.auth.access import OpenAccess
from registry.auth.state import build_auth
from registry.config import Config
from registry.distribution.routes import add_routes
from registry.http.audit import audit_middleware
from registry.http.errors import error_middleware
from registry.http.inflight import INFLIGHT, Inflight
from registry.http.observe import answer_request_id, request_middleware
from registry.http.appkeys import ACCESS, AUTH, CONFIG, SERVICES
from registry.server.background import Background
from registry.server.wiring import open_registry


async def _registry_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open the stores, start the background work; on cleanup stop it, then close the stores."""
    config = app[CONFIG]
    registry = await open_registry(config)
    services = registry.services
    app[SERVICES] = services
    try:
        if config["auth.enabled"]:
            auth = await build_auth(services, config)
            app[AUTH] = auth
            app[ACCESS] = auth.access
        background = Background(services, config)
        background.start()
        services.health.add("jobservice", background.check)
        services.health.add("portal", ui.check)
        try:
            yield
        finally:
            await background.stop()
    finally:
        await registry.close()


def create_app(config: Config) -> web.Application:
    inflight = Inflight()
    app = web.Application(
        middlewares=[request_middleware, inflight.middleware, error_middleware, audit_middleware],
        client_max_size=config["limits.max_json_body_bytes"],
        handler_args={"max_field_size": 16384, "max_line_size": 16384},
    )
    app[INFLIGHT] = inflight
    app.on_response_prepare.append(answer_request_id)
    app[CONFIG] = config
    app[ACCESS] = OpenAccess()
    app.cleanup_ctx.append(_registry_ctx)
    add_routes(app)
    health.add_routes(app)
    api_routes.add_routes(app)
    session.add_routes(app)
    oidc_login.add_routes(app)
    ui.add_routes(app)
    if config["auth.enabled"]:
        token_service.add_routes(app)
    return app
