"""/projects/{project}/repositories: list, get, delete.

``repository_name`` in paths excludes the project and, when it contains ``/``, is
encoded twice by clients (``a/b`` → ``a%252Fb``); the router decodes once, this
module the second time.
"""
from __future__ import annotations

from urllib.parse import unquote

from aiohttp import web

from registry.api import render
from registry.api.guards import caller, project_access
from registry.api.body import bad_request, done, field, json_response, read_json
from registry.api.paging import listing_of, page_of, paged
from registry.core.errors import RegistryError
from registry.core.names import validate_name
from registry.core.repositories import MAX_DESCRIPTION
from registry.http.appkeys import SERVICES
from registry.core.records import ProjectRecord


def repository_name(request: web.Request, project: ProjectRecord) -> str:
    """The full repository name (``project/repo``) from the path."""
    name = f"{project.name}/{unquote(request.match_info['repository'])}"
    try:
        return validate_name(name)
    except RegistryError:
        raise bad_request(f"invalid repository name {name[:255]!r}") from None


async def list_repositories(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    _, project = await project_access(request, by_name=True)
    page = page_of(request)
    found, total = await services.repositories.list(project.name, listing_of(request, page))
    return paged(request, page, [render.repository(r, project.id) for r in found], total)


async def list_all_repositories(request: web.Request) -> web.Response:
    """Every repository the caller may see, across projects (Harbor's ``GET /repositories``)."""
    page = page_of(request)
    found, total = await request.app[SERVICES].catalog.repositories(await caller(request), listing_of(request, page))
    return paged(request, page, [render.repository(r, project.id) for project, r in found], total)


async def get_repository(request: web.Request) -> web.Response:
    _, project = await project_access(request, by_name=True)
    summary = await request.app[SERVICES].repositories.get(repository_name(request, project))
    return json_response(render.repository(summary, project.id))


async def update_repository(request: web.Request) -> web.Response:
    """Set the repository's ``description``: those who may push to it may describe it."""
    _, project = await project_access(request, "push", by_name=True)
    name = repository_name(request, project)
    body = await read_json(request)
    await request.app[SERVICES].repositories.describe(name, field(body, "description", str, max_length=MAX_DESCRIPTION))
    return done()


async def delete_repository(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal, project = await project_access(request, "delete", by_name=True)
    name = repository_name(request, project)
    await services.repositories.delete(name)
    services.audit.record(principal.name, "delete", name, "repository", client=request.remote or "")
    return done()
