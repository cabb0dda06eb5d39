"""/quotas: each project's storage limit and what it uses (distinct blobs linked in it)."""
from __future__ import annotations

from aiohttp import web

from registry.api import render
from registry.api.guards import admin, caller, refuse
from registry.api.body import field, done, json_response, path_id, read_json
from registry.api.paging import page_of, paged
from registry.core.errors import RegistryError
from registry.core.quotas import storage_limit
from registry.http.appkeys import SERVICES
from registry.core.records import ProjectRecord


async def _project(request: web.Request) -> ProjectRecord:
    services = request.app[SERVICES]
    principal = await caller(request)
    project = await services.projects.by_id(path_id(request, "quota_id"))
    if project is None:
        raise RegistryError("NOT_FOUND", "quota not found", status=404)
    if not await services.projects.actions(principal, project):
        raise refuse(principal, f"{principal.name} may not see project {project.name}")
    return project


async def list_quotas(request: web.Request) -> web.Response:
    """Quotas of the projects the caller may see; ``reference_id`` picks one project."""
    services = request.app[SERVICES]
    page = page_of(request)
    projects = await services.catalog.visible_projects(await caller(request))
    wanted = request.query.get("reference_id")
    if wanted:
        projects = [p for p in projects if str(p.id) == wanted]
    quotas = await services.catalog.quotas(projects[page.offset:page.offset + page.size])
    return paged(request, page, [render.quota(q) for q in quotas], len(projects))


async def get_quota(request: web.Request) -> web.Response:
    (quota,) = await request.app[SERVICES].catalog.quotas([await _project(request)])
    return json_response(render.quota(quota))


async def update_quota(request: web.Request) -> web.Response:
    await admin(request)
    project = await _project(request)
    hard = field(await read_json(request), "hard", dict)
    await request.app[SERVICES].catalog.set_storage_limit(project, storage_limit(hard.get("storage"), "hard.storage"))
    return done()
