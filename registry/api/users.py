"""/users: administration of local users, and each user's own profile and password."""
from __future__ import annotations

from aiohttp import web

from registry.api import render
from registry.api.guards import admin, authenticated, refuse
from registry.api.body import bad_request, created, done, field, json_response, path_id, read_json
from registry.api.paging import fuzzy, page_of, paged, query_terms
from registry.core import permissions
from registry.core.errors import RegistryError
from registry.core.rbac import Principal
from registry.http.appkeys import SERVICES


async def _self_or_admin(request: web.Request) -> tuple[Principal, int]:
    principal = await authenticated(request)
    user_id = path_id(request, "user_id")
    if not principal.admin and principal.user_id != user_id:
        raise refuse(principal, "only system administrators may manage other users")
    return principal, user_id


async def list_users(request: web.Request) -> web.Response:
    await admin(request)
    page = page_of(request)
    like = request.query.get("username") or fuzzy(query_terms(request).get("username", ""))
    found, total = await request.app[SERVICES].accounts.users(like, page.offset, page.size)
    return paged(request, page, [render.user(u) for u in found], total)


async def search_users(request: web.Request) -> web.Response:
    """Usernames containing ``username``, for picking project members."""
    await authenticated(request)
    page = page_of(request)
    found, total = await request.app[SERVICES].accounts.users(request.query.get("username", ""), page.offset,
                                                              page.size)
    return paged(request, page, [{"user_id": u.id, "username": u.username} for u in found], total)


async def create_user(request: web.Request) -> web.Response:
    await admin(request)
    body = await read_json(request)
    user_id = await request.app[SERVICES].accounts.create_user(
        field(body, "username", str, max_length=255), field(body, "password", str, max_length=128),
        email=field(body, "email", str, "", max_length=255), realname=field(body, "realname", str, "", max_length=255),
        comment=field(body, "comment", str, "", max_length=1024),
    )
    return created(f"/api/v2.0/users/{user_id}")


async def current_user(request: web.Request) -> web.Response:
    principal = await authenticated(request)
    if principal.user_id is None:
        raise RegistryError("NOT_FOUND", f"{principal.name} is a robot account and has no user profile", status=404)
    services = request.app[SERVICES]
    user = await services.accounts.user(principal.user_id)
    body = render.user(user)
    if user.source == "oidc":
        body["oidc_user_meta"] = {"id": user.id, "user_id": user.id, "subiss": user.external_id,
                                  "secret": await services.external_users.cli_secret(user)}
    return json_response(body)


async def current_permissions(request: web.Request) -> web.Response:
    """What the caller may do under ``scope`` (``/project/<id>`` or ``/system``; anything else
    lists nothing, as in Harbor), resources named in full or, with ``relative=true``, under it."""
    principal = await authenticated(request)
    scope = request.query.get("scope", "")
    relative = request.query.get("relative", "false").lower()
    if relative not in ("true", "false"):
        raise bad_request('relative must be "true" or "false"')
    pairs: list[tuple[str, str]] = []
    project = permissions.PROJECT_SCOPE.fullmatch(scope)
    if scope == permissions.SYSTEM_SCOPE:
        pairs = permissions.system_permissions(principal)
    elif project is not None:
        found = await request.app[SERVICES].projects.by_id(int(project[1]))
        if found is not None:
            pairs = permissions.project_permissions(await request.app[SERVICES].projects.actions(principal, found))
    return json_response(permissions.scoped(scope, pairs, relative == "true"))


async def get_user(request: web.Request) -> web.Response:
    _, user_id = await _self_or_admin(request)
    return json_response(render.user(await request.app[SERVICES].accounts.user(user_id)))


async def update_user(request: web.Request) -> web.Response:
    _, user_id = await _self_or_admin(request)
    body = await read_json(request)
    fields = {name: field(body, name, str, None, max_length=255) for name in ("email", "realname", "comment")}
    await request.app[SERVICES].accounts.update_user(user_id, **{k: v for k, v in fields.items() if v is not None})
    return done()


async def delete_user(request: web.Request) -> web.Response:
    principal = await admin(request)
    user_id = path_id(request, "user_id")
    if principal.user_id == user_id:
        raise refuse(principal, "you cannot delete yourself")
    services = request.app[SERVICES]
    user = await services.accounts.user(user_id)
    await services.accounts.delete_user(user_id)
    await services.sessions.end_all(user.username)
    return done()


async def set_password(request: web.Request) -> web.Response:
    """Change a password: your own with ``old_password``, anyone's as an admin."""
    principal, user_id = await _self_or_admin(request)
    services = request.app[SERVICES]
    body = await read_json(request)
    new = field(body, "new_password", str, max_length=128)
    if (await services.accounts.user(user_id)).source != "local":
        raise RegistryError("PRECONDITION", "this user's password is kept by their LDAP directory or OIDC provider",
                            status=412)
    if principal.user_id == user_id:
        user = await services.accounts.user(user_id)
        old = field(body, "old_password", str, max_length=128)
        if await services.accounts.authenticate(user.username, old) is None:
            raise refuse(principal, "the old password is wrong")
    await services.accounts.set_password(user_id, new)
    return done()


async def set_sysadmin(request: web.Request) -> web.Response:
    principal = await admin(request)
    user_id = path_id(request, "user_id")
    flag = field(await read_json(request), "sysadmin_flag", bool)
    if principal.user_id == user_id:
        raise refuse(principal, "you cannot change your own administrator flag")
    await request.app[SERVICES].accounts.update_user(user_id, sysadmin=flag)
    return done()


async def set_cli_secret(request: web.Request) -> web.Response:
    """Set an OIDC user's CLI secret (their password for docker, podman and helm); an empty
    or missing ``secret`` makes a new random one."""
    _, user_id = await _self_or_admin(request)
    services = request.app[SERVICES]
    user = await services.accounts.user(user_id)
    secret = field(await read_json(request), "secret", str, "", max_length=128)
    if secret:
        await services.external_users.set_cli_secret(user, secret)
    else:
        secret = await services.external_users.regenerate_cli_secret(user)
    return json_response({"secret": secret})
