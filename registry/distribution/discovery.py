"""Content discovery: tags list, catalog and referrers, with spec pagination."""
from __future__ import annotations

import json
from urllib.parse import quote

from aiohttp import web

from registry.oci import mediatypes as mt
from registry.core.errors import RegistryError, name_unknown
from registry.core.names import parse_digest
from registry.http.appkeys import ACCESS, SERVICES

MAX_PAGE = 10000


def _page_size(request: web.Request) -> int | None:
    raw = request.query.get("n")
    if raw is None or raw == "":
        return None
    try:
        n = int(raw)
    except ValueError:
        n = -1
    if n < 0:
        raise RegistryError("PAGINATION_NUMBER_INVALID", f"n must be a non-negative integer, not {raw[:50]!r}")
    return min(n, MAX_PAGE)


def _json(body: dict, link: str | None = None, content_type: str = "application/json") -> web.Response:
    # Bytes, not text: aiohttp would append "; charset=utf-8", and clients compare the
    # referrers media type exactly.
    response = web.Response(body=json.dumps(body).encode(), headers={"Content-Type": content_type})
    if link:
        response.headers["Link"] = f'<{link}>; rel="next"'
    return response


async def tags(request: web.Request, name: str, _ref: str) -> web.StreamResponse:
    services = request.app[SERVICES]
    if await services.meta.repositories.get(name) is None:
        raise name_unknown(name)
    n = _page_size(request)
    last = request.query.get("last", "")
    if n == 0:
        return _json({"name": name, "tags": []})
    limit = n if n is not None else MAX_PAGE
    found = await services.manifests.tags(name, last, limit + 1)
    link = None
    if len(found) > limit:
        found = found[:limit]
        link = f"/v2/{name}/tags/list?n={limit}&last={quote(found[-1])}"
    return _json({"name": name, "tags": found}, link)


async def catalog(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    access = request.app[ACCESS]
    n = _page_size(request)
    if n == 0:
        return _json({"repositories": []})
    limit = n if n is not None else MAX_PAGE
    last = request.query.get("last", "")
    shown: list[str] = []
    more = False
    while len(shown) <= limit:
        batch = await services.meta.repositories.names(last, limit + 1)
        if not batch:
            break
        last = batch[-1]
        shown += await access.visible_repositories(request["identity"], batch)
    if len(shown) > limit:
        shown, more = shown[:limit], True
    link = f"/v2/_catalog?n={limit}&last={quote(shown[-1])}" if more else None
    return _json({"repositories": shown}, link)


async def referrers(request: web.Request, name: str, reference: str) -> web.StreamResponse:
    subject = parse_digest(reference)
    artifact_type = request.query.get("artifactType")
    found = await request.app[SERVICES].manifests.referrers(name, subject, artifact_type)
    response = _json({"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": found},
                     content_type=mt.OCI_INDEX)
    if artifact_type:
        response.headers["OCI-Filters-Applied"] = "artifactType"
    return response
