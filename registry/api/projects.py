"""/projects: list, look up, create, update, delete, summary."""
from __future__ import annotations

from aiohttp import web

from registry.api import render
from registry.api.guards import authenticated, caller, find_project, project_access, refuse
from registry.api.body import bad_request, created, done, field, json_response, read_json, record_id
from registry.api.paging import fuzzy, page_of, paged, query_terms
from registry.core.quotas import storage_limit
from registry.core.upstreams import max_upstream_conn
from registry.core.rbac import GUEST, DEVELOPER, LIMITED_GUEST, MAINTAINER, PROJECT_ADMIN, Principal
from registry.http.appkeys import SERVICES


def _flag(value: str, name: str) -> bool:
    if value not in ("true", "false"):
        raise bad_request(f'{name} must be "true" or "false"')
    return value == "true"


def _max_upstream_conn(body: dict) -> int | None:
    """``metadata.max_upstream_conn`` of a proxy-cache project, if given."""
    metadata = field(body, "metadata", dict, {})
    return max_upstream_conn(metadata["max_upstream_conn"]) if "max_upstream_conn" in metadata else None


def _public_of(body: dict) -> bool | None:
    """``metadata.public`` (a string, as Harbor has it), else the deprecated boolean ``public``."""
    metadata = field(body, "metadata", dict, {})
    if "public" in metadata:
        return _flag(metadata["public"] if isinstance(metadata["public"], str) else "", "metadata.public")
    return field(body, "public", bool, None)


async def _roles(request: web.Request, principal: Principal) -> dict[str, int]:
    if principal.kind != "user" or principal.user_id is None:
        return {}
    return await request.app[SERVICES].projects.roles_of_user(principal.user_id)


async def list_projects(request: web.Request) -> web.Response:
    """Projects the caller may see, filtered by ``name``, ``public`` and ``q``."""
    services = request.app[SERVICES]
    principal = await caller(request)
    page = page_of(request)
    terms = query_terms(request)
    projects = await services.catalog.visible_projects(principal)
    name = request.query.get("name") or terms.get("name")
    if name:
        projects = [p for p in projects if (fuzzy(name) in p.name if name.startswith("~") else p.name == name)]
    public = request.query.get("public") or terms.get("public")
    if public:
        wanted = _flag(public, "public")
        projects = [p for p in projects if p.public == wanted]
    chosen = projects[page.offset:page.offset + page.size]
    counts, roles, owners = (await services.catalog.repo_counts(), await _roles(request, principal),
                             await services.projects.owner_names(chosen))
    upstreams, connections = await services.upstreams.project_endpoints(), await services.upstreams.project_limits()
    items = [render.project(p, counts.get(p.name, 0), roles.get(p.name), owners.get(p.owner_id or 0, ""),
                            upstreams.get(p.id), connections.get(p.id)) for p in chosen]
    return paged(request, page, items, len(projects))


async def head_project(request: web.Request) -> web.Response:
    """Whether a project name is taken: 200 or 404."""
    await authenticated(request)
    name = request.query.get("project_name", "")
    if not name:
        raise bad_request("project_name is required")
    await find_project(request, name, by_name=True)
    return done()


async def create_project(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await authenticated(request)
    if principal.kind == "robot":
        raise refuse(principal, "robot accounts may not create projects")
    body = await read_json(request)
    name = field(body, "project_name", str, max_length=255)
    public = _public_of(body) or False
    limit = storage_limit(field(body, "storage_limit", int, -1), "storage_limit")
    registry_id = record_id(body["registry_id"], "registry_id") if body.get("registry_id") is not None else None
    connections = _max_upstream_conn(body)
    if registry_id is not None:
        if not principal.admin:
            raise refuse(principal, "only system administrators may create proxy-cache projects")
        if registry_id not in {e.id for e in await services.upstreams.all()}:  # as Harbor: a 400, not a 404
            raise bad_request(f"registry {registry_id} not found")
    elif connections is not None:
        raise bad_request("metadata.max_upstream_conn applies to proxy-cache projects (with registry_id) only")
    project_id = await services.projects.create(name, public, principal, limit if principal.admin else -1)
    if registry_id is not None:
        await services.upstreams.bind(project_id, registry_id, -1 if connections is None else connections)
    services.audit.record(principal.name, "create", name, "project", client=request.remote or "")
    in_name = request.headers.get("X-Resource-Name-In-Location", "").lower() == "true"
    return created(f"/api/v2.0/projects/{name if in_name else project_id}")


async def get_project(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal, project = await project_access(request)
    counts = await services.catalog.repo_counts()
    owners = await services.projects.owner_names([project])
    role = (await _roles(request, principal)).get(project.name)
    upstreams, connections = await services.upstreams.project_endpoints(), await services.upstreams.project_limits()
    return json_response(render.project(project, counts.get(project.name, 0), role,
                                        owners.get(project.owner_id or 0, ""), upstreams.get(project.id),
                                        connections.get(project.id), await services.retention.of_project(project)))


async def update_project(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal, project = await project_access(request, "update-project")
    body = await read_json(request)
    public = _public_of(body)
    connections = _max_upstream_conn(body)
    limit = field(body, "storage_limit", int, None)
    if limit is not None:
        limit = storage_limit(limit, "storage_limit")
        if not principal.admin:
            raise refuse(principal, "only system administrators may change a storage limit")
    if connections is not None:
        await services.upstreams.set_limit(project.id, connections)
    if public is not None:
        await services.catalog.set_public(project, public)
    if limit is not None:
        await services.catalog.set_storage_limit(project, limit)
    return done()


async def delete_project(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal, project = await project_access(request, "update-project")
    await services.projects.delete(project)
    services.audit.record(principal.name, "delete", project.name, "project", client=request.remote or "")
    return done()


async def project_summary(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    _, project = await project_access(request)
    roles = await services.catalog.summary_counts(project)
    (quota,) = await services.catalog.quotas([project])
    return json_response({
        "repo_count": (await services.catalog.repo_counts()).get(project.name, 0),
        "project_admin_count": roles.get(PROJECT_ADMIN, 0),
        "maintainer_count": roles.get(MAINTAINER, 0),
        "developer_count": roles.get(DEVELOPER, 0),
        "guest_count": roles.get(GUEST, 0),
        "limited_guest_count": roles.get(LIMITED_GUEST, 0),
        "quota": {"hard": {"storage": quota.hard}, "used": {"storage": quota.used}},
    })
