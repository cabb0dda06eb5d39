"""Record what a successful request did (push, pull, delete) in the audit trail, and
queue the matching webhook event.

Handlers say what happened by setting ``request["audit"] = (operation, repository,
reference)``, or ``(operation, repository, reference, digest)`` when the digest is
known; this middleware adds who did it, after the response is known to be a success.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from registry.core.webhooks import EVENT_TYPES, ArtifactEvent
from registry.http.appkeys import CONFIG, SERVICES


@web.middleware
async def audit_middleware(request: web.Request, handler) -> web.StreamResponse:
    response = await handler(request)
    event = request.get("audit")
    if event is not None and response.status < 400:
        operation, repository, reference, *known = event
        principal = request.get("identity")
        name = principal.name if principal is not None else ""
        services = request.app[SERVICES]
        services.audit.record(name, operation, f"{repository}:{reference}", "artifact",
                              client=request.remote or "")
        if operation in EVENT_TYPES:
            digest = known[0] if known else (reference if ":" in reference else "")
            tag = "" if ":" in reference else reference
            host = urlsplit(request.app[CONFIG]["http.external_url"]).netloc or request.host
            services.webhooks.notify(ArtifactEvent(EVENT_TYPES[operation], repository, digest or "", tag,
                                                   name or "anonymous", host))
    return response
