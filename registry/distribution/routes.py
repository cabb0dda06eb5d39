"""The /v2/ route table.

Repository names contain slashes, so aiohttp's router cannot split them; one
catch-all route hands the tail to this dispatcher, which parses it from the right
(the spec's suffixes are fixed), validates the name, asks the access controller for
the scopes the operation needs, and calls a thin handler.
"""
from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from aiohttp import web

from registry.auth.access import Scope
from registry.core.errors import RegistryError
from registry.core.names import validate_name
from registry.distribution import blobs, discovery, manifests, uploads
from registry.http.appkeys import ACCESS
from registry.http.observe import name_route

Handler = Callable[[web.Request, str, str], Awaitable[web.StreamResponse]]

# (suffix pattern, {method: (handler, actions)}) — tried in order against the tail.
_ROUTES: list[tuple[re.Pattern[str], dict[str, tuple[Handler, tuple[str, ...]]]]] = [
    (re.compile(r"^(?P<name>.+)/blobs/uploads/(?P<ref>[^/]*)$"), {
        "POST": (uploads.start, ("pull", "push")),
        "PATCH": (uploads.patch, ("pull", "push")),
        "PUT": (uploads.finish, ("pull", "push")),
        "GET": (uploads.status, ("pull", "push")),
        "DELETE": (uploads.cancel, ("pull", "push")),
    }),
    (re.compile(r"^(?P<name>.+)/manifests/(?P<ref>[^/]+)$"), {
        "GET": (manifests.get, ("pull",)),
        "HEAD": (manifests.head, ("pull",)),
        "PUT": (manifests.put, ("pull", "push")),
        "DELETE": (manifests.delete, ("delete",)),
    }),
    (re.compile(r"^(?P<name>.+)/blobs/(?P<ref>[^/]+)$"), {
        "GET": (blobs.get, ("pull",)),
        "HEAD": (blobs.head, ("pull",)),
        "DELETE": (blobs.delete, ("delete",)),
    }),
    (re.compile(r"^(?P<name>.+)/tags/(?P<ref>list)$"), {"GET": (discovery.tags, ("pull",))}),
    (re.compile(r"^(?P<name>.+)/referrers/(?P<ref>[^/]+)$"), {"GET": (discovery.referrers, ("pull",))}),
]


def _template(pattern: re.Pattern[str]) -> str:
    """How logs and metrics name a route of the table: ``/v2/{name}/blobs/{reference}``."""
    tail = re.sub(r"\(\?P<name>[^)]*\)", "{name}", pattern.pattern.strip("^$"))
    return "/v2/" + re.sub(r"\(\?P<ref>([^)]*)\)", lambda m: m[1] if m[1].isalpha() else "{reference}", tail)


_TEMPLATES = {pattern: _template(pattern) for pattern, _ in _ROUTES}


def _unsupported(method: str, allowed: dict) -> RegistryError:
    error = RegistryError("UNSUPPORTED", f"method {method} is not supported here", status=405)
    error.headers["Allow"] = ", ".join(sorted(allowed))
    return error


async def dispatch(request: web.Request) -> web.StreamResponse:
    tail = request.match_info.get("tail", "")
    access = request.app[ACCESS]
    if tail in ("", "/"):
        name_route(request, "/v2/")
        if request.method not in ("GET", "HEAD"):
            raise _unsupported(request.method, {"GET": 0, "HEAD": 0})
        request["identity"] = await access.authorize(request, [])
        return web.Response(headers={"Docker-Distribution-API-Version": "registry/2.0"},
                            content_type="application/json", text="{}")
    if tail == "_catalog":
        name_route(request, "/v2/_catalog")
        if request.method != "GET":
            raise _unsupported(request.method, {"GET": 0})
        request["identity"] = await access.authorize(request, [Scope("registry", "catalog", ("*",))])
        return await discovery.catalog(request)
    for pattern, methods in _ROUTES:
        match = pattern.match(tail)
        if match is None:
            continue
        name_route(request, _TEMPLATES[pattern])
        method = "GET" if request.method == "HEAD" and "HEAD" not in methods else request.method
        if method not in methods:
            raise _unsupported(request.method, methods)
        handler, actions = methods[method]
        name = validate_name(match["name"])
        optional = uploads.mount_scopes(request) if handler is uploads.start else None
        request["identity"] = await access.authorize(request, [Scope("repository", name, actions)], optional)
        return await handler(request, name, match["ref"])
    raise RegistryError("NOT_FOUND", "no such endpoint in the distribution API", status=404)


def add_routes(app: web.Application) -> None:
    app.router.add_route("*", "/v2", dispatch)
    app.router.add_route("*", "/v2/{tail:.*}", dispatch)
