"""/projects/{project}/members: who belongs to a project, with which role — users, and
LDAP or OIDC groups (``member_group``).

A user member's id is the user's id; a group member's id is ``GROUP_MEMBER_BASE`` plus
the group's id, so one path names either without a table of its own.
"""
from __future__ import annotations

from aiohttp import web

from registry.api import render
from registry.api.guards import project_access
from registry.api.body import bad_request, created, done, field, json_response, path_id, read_json, record_id
from registry.api.paging import page_of, paged
from registry.api.usergroups import ensure_group
from registry.core.rbac import ROLE_NAMES
from registry.core.records import GroupMemberRecord
from registry.http.appkeys import SERVICES

GROUP_MEMBER_BASE = 10**12


def render_group_member(record: GroupMemberRecord) -> dict:
    return {"id": GROUP_MEMBER_BASE + record.group_id, "project_id": record.project_id,
            "entity_id": record.group_id, "entity_name": record.name, "entity_type": "g",
            "role_id": record.role_id, "role_name": ROLE_NAMES.get(record.role_id, "")}


async def list_members(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    _, project = await project_access(request, "read-members")
    page = page_of(request)
    name = request.query.get("entityname", "")
    members = [render.member(m) for m in await services.projects.members(project) if name in m.username]
    members += [render_group_member(m) for m in await services.groups.members(project) if name in m.name]
    return paged(request, page, members[page.offset:page.offset + page.size], len(members))


async def add_member(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    _, project = await project_access(request, "manage-members")
    body = await read_json(request)
    role_id = field(body, "role_id", int)
    location = f"/api/v2.0/projects/{request.match_info['project']}/members/"
    if body.get("member_group") is not None:
        group_id = await ensure_group(request, field(body, "member_group", dict))
        await services.groups.add_member(project, group_id, role_id)
        return created(location + str(GROUP_MEMBER_BASE + group_id))
    who = field(body, "member_user", dict)
    user: int | str
    if who.get("user_id") is not None:
        user = record_id(who["user_id"], "member_user.user_id")
    elif isinstance(who.get("username"), str):
        user = who["username"]
    else:
        raise bad_request("member_user needs a username or a user_id (or give member_group)")
    user_id = await services.projects.add_member(project, user, role_id)
    return created(location + str(user_id))


async def get_member(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    _, project = await project_access(request, "read-members")
    member_id = path_id(request, "member_id")
    if member_id > GROUP_MEMBER_BASE:
        return json_response(render_group_member(await services.groups.member(project,
                                                                              member_id - GROUP_MEMBER_BASE)))
    return json_response(render.member(await services.projects.member(project, member_id)))


async def update_member(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    _, project = await project_access(request, "manage-members")
    member_id = path_id(request, "member_id")
    role_id = field(await read_json(request), "role_id", int)
    if member_id > GROUP_MEMBER_BASE:
        member = await services.groups.member(project, member_id - GROUP_MEMBER_BASE)
        await services.groups.set_role(project, member.group_id, role_id)
    else:
        member = await services.projects.member(project, member_id)
        await services.projects.set_member(project, member.user_id, role_id)
    return done()


async def remove_member(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    _, project = await project_access(request, "manage-members")
    member_id = path_id(request, "member_id")
    if member_id > GROUP_MEMBER_BASE:
        await services.groups.remove_member(project, member_id - GROUP_MEMBER_BASE)
    else:
        await services.projects.remove_member(project, member_id)
    return done()
