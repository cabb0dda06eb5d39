"""/audit-logs (admins) and /projects/{project}/logs (members): who did what, when."""
from __future__ import annotations

from aiohttp import web

from registry.api import render
from registry.api.guards import admin, project_access
from registry.api.paging import fuzzy, page_of, paged, query_terms
from registry.http.appkeys import SERVICES


async def _logs(request: web.Request, resource_prefix: str) -> web.Response:
    page = page_of(request)
    terms = query_terms(request)
    prefix = resource_prefix + fuzzy(terms.get("resource", ""))
    found, total = await request.app[SERVICES].audit.list(page.offset, page.size, terms.get("operation"),
                                                           prefix or None)
    return paged(request, page, [render.audit_log(r) for r in found], total)


async def audit_logs(request: web.Request) -> web.Response:
    """Filter with ``q=operation=pull`` or ``q=resource=<prefix>``."""
    await admin(request)
    return await _logs(request, "")


async def project_logs(request: web.Request) -> web.Response:
    _, project = await project_access(request, "read-members", by_name=True)
    return await _logs(request, f"{project.name}/")
