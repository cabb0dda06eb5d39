"""/projects/{project}/members: who belongs to a project, with which role.

A member's id is the user's id (Berth has no user groups).
"""
from __future__ import annotations

from aiohttp import web

from registry.api import render
from registry.api.guards import project_access
from registry.api.body import bad_request, created, done, field, json_response, path_id, read_json, record_id
from registry.api.paging import page_of, paged
from registry.http.appkeys import SERVICES


async def list_members(request: web.Request) -> web.Response:
    _, project = await project_access(request, "read-members")
    page = page_of(request)
    name = request.query.get("entityname", "")
    members = [m for m in await request.app[SERVICES].projects.members(project) if name in m.username]
    return paged(request, page, [render.member(m) for m in members[page.offset:page.offset + page.size]],
                 len(members))


async def add_member(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    _, project = await project_access(request, "manage-members")
    body = await read_json(request)
    role_id = field(body, "role_id", int)
    who = field(body, "member_user", dict)
    user: int | str
    if who.get("user_id") is not None:
        user = record_id(who["user_id"], "member_user.user_id")
    elif isinstance(who.get("username"), str):
        user = who["username"]
    else:
        raise bad_request("member_user needs a username or a user_id (groups are not supported)")
    user_id = await services.projects.add_member(project, user, role_id)
    return created(f"/api/v2.0/projects/{request.match_info['project']}/members/{user_id}")


async def get_member(request: web.Request) -> web.Response:
    _, project = await project_access(request, "read-members")
    member = await request.app[SERVICES].projects.member(project, path_id(request, "member_id"))
    return json_response(render.member(member))


async def update_member(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    _, project = await project_access(request, "manage-members")
    member = await services.projects.member(project, path_id(request, "member_id"))
    await services.projects.set_member(project, member.user_id, field(await read_json(request), "role_id", int))
    return done()


async def remove_member(request: web.Request) -> web.Response:
    _, project = await project_access(request, "manage-members")
    await request.app[SERVICES].projects.remove_member(project, path_id(request, "member_id"))
    return done()
