"""The transparent mirror: a second listener where image names carry no project.

``GET /v2/library/nginx/manifests/1.14?ns=docker.io`` (containerd) or without ``ns``
(Docker's ``registry-mirrors``) is served from the public proxy-cache project core picks
for that upstream, as ``/v2/<project>/library/nginx/…`` would be on the main port, so
pull counts, quotas and the cache are the same. Only pulls exist here and no
credentials are asked for: docker sends a mirror its Docker Hub login (or none) and
containerd sends a Pod's secret only to the host it names, so the mirror serves public
proxy-cache projects anonymously; private ones are pulled on the main port by name.
"""
from __future__ import annotations

import re

from aiohttp import web

from registry.config import Config
from registry.core.errors import RegistryError
from registry.core.rbac import ANONYMOUS
from registry.core.services import Services
from registry.core.names import validate_name
from registry.distribution import blobs, manifests
from registry.http.appkeys import CONFIG, SERVICES
from registry.http.audit import audit_middleware
from registry.http.errors import error_middleware
from registry.http.inflight import Inflight

_ROUTES = [
    (re.compile(r"^(?P<name>.+)/manifests/(?P<ref>[^/]+)$"), {"GET": manifests.get, "HEAD": manifests.head}),
    (re.compile(r"^(?P<name>.+)/blobs/(?P<ref>[^/]+)$"), {"GET": blobs.get, "HEAD": blobs.head}),
]
_VERSION = {"Docker-Distribution-API-Version": "registry/2.0"}


async def dispatch(request: web.Request) -> web.StreamResponse:
    tail = request.match_info.get("tail", "")
    if request.method not in ("GET", "HEAD"):
        error = RegistryError("UNSUPPORTED", "the mirror only serves pulls", status=405)
        error.headers["Allow"] = "GET, HEAD"
        raise error
    if tail in ("", "/"):
        return web.json_response({}, headers=_VERSION)
    for pattern, methods in _ROUTES:
        match = pattern.match(tail)
        if match is not None:
            name = validate_name(match["name"])
            ns = request.query.get("ns")
            project = await request.app[SERVICES].proxies.mirrored(ns)
            if project is None:
                raise RegistryError("NAME_UNKNOWN", f"no public proxy-cache project mirrors {ns or 'Docker Hub'}",
                                    {"ns": (ns or "")[:255]})
            request["identity"] = ANONYMOUS
            return await methods[request.method](request, validate_name(f"{project}/{name}"), match["ref"])
    raise RegistryError("NOT_FOUND", "the mirror serves only manifests and blobs", status=404)


def create_mirror_app(services: Services, config: Config, inflight: Inflight) -> web.Application:
    """The mirror's own application, over the services (and the shutdown's count) of the main one."""
    app = web.Application(middlewares=[inflight.middleware, error_middleware, audit_middleware])
    app[SERVICES] = services
    app[CONFIG] = config
    app.router.add_route("*", "/v2", dispatch)
    app.router.add_route("*", "/v2/{tail:.*}", dispatch)
    return app
