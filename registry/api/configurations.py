"""/configurations: the identity settings under Harbor's names (system administrators only).

GET answers Harbor's shape, ``{key: {"value": …, "editable": …}}``, never with the LDAP
search password or the OIDC client secret; PUT takes ``{key: value}`` and refuses keys
it does not know, so a typo is an error instead of a silent no-op.
"""
from __future__ import annotations

from aiohttp import web

from registry.api.body import done, json_response, read_json
from registry.api.guards import admin
from registry.core.identity_settings import auth_mode
from registry.http.appkeys import SERVICES


async def get_configurations(request: web.Request) -> web.Response:
    await admin(request)
    settings = request.app[SERVICES].identity_settings
    values = await settings.current()
    body = {key: {"value": value, "editable": True} for key, value in settings.public(values).items()}
    body["auth_mode"] = {"value": auth_mode(values), "editable": False}
    return json_response(body)


async def put_configurations(request: web.Request) -> web.Response:
    await admin(request)
    services = request.app[SERVICES]
    if await services.identity_settings.update(await read_json(request)):
        services.accounts.changed()  # cached directory logins are checked again with the new settings
    return done()
