"""/registries: the upstream endpoints proxy-cache projects pull through (system administrators)."""
from __future__ import annotations

from aiohttp import web

from registry.api import render
from registry.api.body import bad_request, created, done, field, json_response, path_id, read_json, record_id
from registry.api.guards import admin
from registry.api.paging import page_of, paged
from registry.core.upstreams import TYPES, EndpointFields, Login
from registry.http.appkeys import SERVICES


def _fields(body: dict, creating: bool) -> EndpointFields:
    """The endpoint fields of a body, each checked for its kind; creating requires name and type."""
    required = () if creating else (None,)  # no default: field() answers "<name> is required"
    credential = field(body, "credential", dict, {})
    if field(credential, "type", str, "basic") != "basic":
        raise bad_request('credential.type must be "basic"')
    return EndpointFields(
        name=field(body, "name", str, *required, max_length=255),
        type=field(body, "type", str, *required),
        url=field(body, "url", str, None, max_length=2048),
        access_key=field(credential, "access_key", str, None, max_length=255),
        access_secret=field(credential, "access_secret", str, None, max_length=4096),
        insecure=field(body, "insecure", bool, None),
        description=field(body, "description", str, None),
    )


async def list_registries(request: web.Request) -> web.Response:
    await admin(request)
    page = page_of(request)
    endpoints = await request.app[SERVICES].upstreams.all()
    return paged(request, page, [render.endpoint(e) for e in endpoints[page.offset:page.offset + page.size]],
                 len(endpoints))


async def create_registry(request: web.Request) -> web.Response:
    await admin(request)
    endpoint_id = await request.app[SERVICES].upstreams.create(_fields(await read_json(request), creating=True))
    return created(f"/api/v2.0/registries/{endpoint_id}")


async def get_registry(request: web.Request) -> web.Response:
    await admin(request)
    return json_response(render.endpoint(await request.app[SERVICES].upstreams.get(path_id(request, "registry_id"))))


async def update_registry(request: web.Request) -> web.Response:
    await admin(request)
    upstreams = request.app[SERVICES].upstreams
    endpoint = await upstreams.get(path_id(request, "registry_id"))
    await upstreams.update(endpoint, _fields(await read_json(request), creating=False))
    return done()


async def delete_registry(request: web.Request) -> web.Response:
    await admin(request)
    upstreams = request.app[SERVICES].upstreams
    await upstreams.delete(await upstreams.get(path_id(request, "registry_id")))
    return done()


async def ping_registry(request: web.Request) -> web.Response:
    """Test a connection: a stored endpoint (``id``), optionally with changed fields, or a new one."""
    await admin(request)
    upstreams = request.app[SERVICES].upstreams
    body = await read_json(request)
    fields = _fields(body, creating=False)
    stored = record_id(body["id"], "id") if body.get("id") is not None else None
    login = None
    if stored is not None:
        endpoint = await upstreams.get(stored)
        login = await upstreams.login(endpoint)
        url, insecure = fields.url or endpoint.url, endpoint.insecure if fields.insecure is None else fields.insecure
    else:
        url, insecure = fields.url or TYPES.get(fields.type or "", ""), bool(fields.insecure)
        if not url:
            raise bad_request("url is required")
    if fields.access_key is not None:
        login = Login(fields.access_key, fields.access_secret or "") if fields.access_key else None
    await upstreams.ping(url, insecure, login)
    return done()


async def registry_info(request: web.Request) -> web.Response:
    await admin(request)
    endpoint = await request.app[SERVICES].upstreams.get(path_id(request, "registry_id"))
    return json_response(render.endpoint_info(endpoint))
