"""/projects/{project}/members: who belongs to a project, with which role.

A member's id is the user's id (Berth has no user groups).
"""
from __future__ import annotations

from aiohttp import web

from registry.api import render
from registry.api.guards import project_access
from registry.api.body import bad_request, created, done, field, json_response, path_id, read_json, record_id
from registry.api.paging import page_of, paged
from registry.core.errors import RegistryError
from registry.http.appkeys import SERVICES
from storage.meta.records import MemberRecord, ProjectRecord


async def _member(request: web.Request, project: ProjectRecord) -> MemberRecord:
    user_id = path_id(request, "member_id")
    for member in await request.app[SERVICES].meta.projects.members(project.id):
        if member.user_id == user_id:
            return member
    raise RegistryError("NOT_FOUND", f"member {user_id} not found in {project.name}", status=404)


async def list_members(request: web.Request) -> web.Response:
    _, project = await project_access(request, "read-members")
    page = page_of(request)
    name = request.query.get("entityname", "")
    members = [m for m in await request.app[SERVICES].meta.projects.members(project.id) if name in m.username]
    return paged(request, page, [render.member(m) for m in members[page.offset:page.offset + page.size]],
                 len(members))


async def add_member(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    _, project = await project_access(request, "manage-members")
    body = await read_json(request)
    role_id = field(body, "role_id", int)
    who = field(body, "member_user", dict)
    if who.get("user_id") is not None:
        user = await services.meta.users.by_id(record_id(who["user_id"], "member_user.user_id"))
    elif isinstance(who.get("username"), str):
        user = await services.meta.users.by_name(who["username"])
    else:
        raise bad_request("member_user needs a username or a user_id (groups are not supported)")
    if user is None:
        raise RegistryError("NOT_FOUND", "no such user", status=404)
    if await services.meta.projects.role_of(project.id, user.id) is not None:
        raise RegistryError("CONFLICT", f"{user.username} is already a member of {project.name}", status=409)
    await services.projects.set_member(project, user.id, role_id)
    return created(f"/api/v2.0/projects/{request.match_info['project']}/members/{user.id}")


async def get_member(request: web.Request) -> web.Response:
    _, project = await project_access(request, "read-members")
    return json_response(render.member(await _member(request, project)))


async def update_member(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    _, project = await project_access(request, "manage-members")
    member = await _member(request, project)
    await services.projects.set_member(project, member.user_id, field(await read_json(request), "role_id", int))
    return done()


async def remove_member(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    _, project = await project_access(request, "manage-members")
    member = await _member(request, project)
    await services.meta.projects.remove_member(project.id, member.user_id)
    return done()
