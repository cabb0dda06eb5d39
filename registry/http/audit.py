"""Record what a successful request did (push, pull, delete) in the audit trail.

Handlers say what happened by setting ``request["audit"] = (operation, repository,
reference)``; this middleware adds who did it, after the response is known to be a
success.
"""
from __future__ import annotations

from aiohttp import web

from registry.http.keys import SERVICES


@web.middleware
async def audit_middleware(request: web.Request, handler) -> web.StreamResponse:
    response = await handler(request)
    event = request.get("audit")
    if event is not None and response.status < 400:
        operation, repository, reference = event
        principal = request.get("identity")
        name = principal.name if principal is not None else ""
        request.app[SERVICES].audit.record(name, operation, f"{repository}:{reference}", "artifact",
                                           client=request.remote or "")
    return response
