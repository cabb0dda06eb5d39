"""/ldap: testing the directory settings, searching users and groups, importing users."""
from __future__ import annotations

import asyncio

from aiohttp import web

from registry.api.body import bad_request, done, field, json_response, read_json
from registry.api.guards import admin
from registry.auth.ldap import DirectoryUnavailable, LdapDirectory
from registry.auth.providers import IdentityProviders
from registry.core.errors import RegistryError
from registry.http.appkeys import AUTH, SERVICES

MAX_IMPORT = 100


def _providers(request: web.Request) -> IdentityProviders:
    auth = request.app.get(AUTH)
    if auth is None:
        raise RegistryError("UNSUPPORTED", "authentication is disabled on this registry", status=405)
    return auth.providers


async def _directory(request: web.Request) -> LdapDirectory:
    directory = await _providers(request).directory()
    if directory is None:
        raise RegistryError("PRECONDITION", "LDAP is not configured: set ldap_url first", status=412)
    return directory


def _unreachable(exc: DirectoryUnavailable) -> RegistryError:
    return RegistryError("UNAVAILABLE", f"the LDAP directory cannot be reached: {exc}", status=503)


async def _ask(call, *args):
    try:
        return await asyncio.to_thread(call, *args)
    except DirectoryUnavailable as exc:
        raise _unreachable(exc) from None


async def ping(request: web.Request) -> web.Response:
    """Check settings (the saved ones, with any ``ldap_*`` keys of the body tried instead)."""
    await admin(request)
    settings = request.app[SERVICES].identity_settings
    values = await settings.current()
    if request.can_read_body:
        trial = {k: v for k, v in (await read_json(request)).items() if v is not None}
        if any(not k.startswith("ldap_") for k in trial):
            raise bad_request("only ldap_* settings can be tried")
        values.update(settings.checked(trial))
    if not values["ldap_url"]:
        raise bad_request("ldap_url is required")
    await _ask(LdapDirectory(values).ping)
    return json_response({"success": True})


async def search_users(request: web.Request) -> web.Response:
    await admin(request)
    directory = await _directory(request)
    found = await _ask(directory.search_users, request.query.get("username", "")[:255])
    return json_response([{"username": u.username, "realname": u.realname, "email": u.email} for u in found])


async def search_groups(request: web.Request) -> web.Response:
    await admin(request)
    directory = await _directory(request)
    found = await _ask(directory.search_groups, request.query.get("groupname", "")[:255],
                       request.query.get("groupdn", "")[:1024])
    return json_response([{"group_name": name, "ldap_group_dn": dn, "group_type": 1} for name, dn in found])


async def import_users(request: web.Request) -> web.Response:
    """Create accounts for directory users before they sign in; 404 lists those not found."""
    await admin(request)
    names = field(await read_json(request), "ldap_uid_list", list)
    if not names or len(names) > MAX_IMPORT or not all(isinstance(n, str) and 0 < len(n) <= 255 for n in names):
        raise bad_request(f"ldap_uid_list must hold 1-{MAX_IMPORT} user names")
    providers = _providers(request)
    try:
        failed = [name for name in names if not await providers.import_user(name)]
    except DirectoryUnavailable as exc:
        raise _unreachable(exc) from None
    if failed:
        raise RegistryError("NOT_FOUND", "not in the directory, or the name belongs to another account: "
                            + ", ".join(failed), status=404)
    return done()
