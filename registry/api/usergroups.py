"""/usergroups: LDAP and OIDC groups Berth knows, which can be project members.

Groups are created by an administrator (naming an LDAP group DN, or an OIDC group name)
or on their own when a member signs in; who is in a group is always the provider's word.
"""
from __future__ import annotations

from aiohttp import web

from registry.api.body import created, done, field, json_response, path_id, read_json
from registry.api.guards import admin, authenticated
from registry.api.paging import page_of, paged
from registry.core.groups import OIDC_GROUP
from registry.core.records import GroupRecord
from registry.http.appkeys import SERVICES


def render_group(group: GroupRecord) -> dict:
    return {"id": group.id, "group_name": group.name, "group_type": group.group_type,
            "ldap_group_dn": group.external_id if group.group_type != OIDC_GROUP else ""}


async def ensure_group(request: web.Request, body: dict) -> int:
    """The id of the group a body names: ``id``, or a type with a DN (LDAP) or a name (OIDC)."""
    if body.get("id") is not None:
        return (await request.app[SERVICES].groups.get(field(body, "id", int))).id
    group_type = field(body, "group_type", int)
    name = field(body, "group_name", str, "", max_length=255)
    external = name if group_type == OIDC_GROUP else field(body, "ldap_group_dn", str, "")
    return await request.app[SERVICES].groups.ensure(name or external.split(",")[0].split("=")[-1], group_type,
                                                     external)


async def list_groups(request: web.Request) -> web.Response:
    await admin(request)
    page = page_of(request)
    found, total = await request.app[SERVICES].groups.list(request.query.get("group_name", ""), page.offset,
                                                           page.size)
    return paged(request, page, [render_group(g) for g in found], total)


async def search_groups(request: web.Request) -> web.Response:
    """Groups whose name contains ``groupname``, for picking project members."""
    await authenticated(request)
    page = page_of(request)
    found, total = await request.app[SERVICES].groups.list(request.query.get("groupname", ""), page.offset,
                                                           page.size)
    return paged(request, page, [{"id": g.id, "group_name": g.name, "group_type": g.group_type} for g in found],
                 total)


async def create_group(request: web.Request) -> web.Response:
    await admin(request)
    body = await read_json(request)
    body.pop("id", None)  # a new group's id is the registry's to choose, as in Harbor
    group_id = await ensure_group(request, body)
    return created(f"/api/v2.0/usergroups/{group_id}")


async def get_group(request: web.Request) -> web.Response:
    await admin(request)
    return json_response(render_group(await request.app[SERVICES].groups.get(path_id(request, "group_id"))))


async def update_group(request: web.Request) -> web.Response:
    await admin(request)
    body = await read_json(request)
    await request.app[SERVICES].groups.rename(path_id(request, "group_id"),
                                              field(body, "group_name", str, max_length=255))
    return done()


async def delete_group(request: web.Request) -> web.Response:
    await admin(request)
    await request.app[SERVICES].groups.delete(path_id(request, "group_id"))
    return done()
