"""Handlers for /v2/<name>/manifests/<reference>: thin wrappers over ManifestService."""
from __future__ import annotations

from aiohttp import web

from registry.core.errors import RegistryError
from registry.core.manifests import StoredManifest
from registry.http.bodies import read_body
from registry.http.appkeys import SERVICES


def _headers(digest: str, media_type: str, length: int) -> dict[str, str]:
    return {
        "Content-Type": media_type,
        "Content-Length": str(length),
        "Docker-Content-Digest": digest,
        "ETag": f'"{digest}"',
        "Docker-Distribution-API-Version": "registry/2.0",
    }


def _not_modified(request: web.Request, digest: str) -> bool:
    tags = request.headers.get("If-None-Match")
    return bool(tags) and (f'"{digest}"' in tags or tags.strip() == digest)


async def _found(request: web.Request, name: str, reference: str) -> tuple[StoredManifest, dict[str, str]]:
    found = await request.app[SERVICES].manifests.get(name, reference, request.headers.getall("Accept", []))
    headers = _headers(found.digest, found.media_type, len(found.body))
    if found.warning:
        headers["Warning"] = found.warning
    return found, headers


async def head(request: web.Request, name: str, reference: str) -> web.StreamResponse:
    _, headers = await _found(request, name, reference)
    return web.StreamResponse(headers=headers)


async def get(request: web.Request, name: str, reference: str) -> web.StreamResponse:
    services = request.app[SERVICES]
    found, headers = await _found(request, name, reference)
    if _not_modified(request, found.digest):
        del headers["Content-Length"]
        return web.Response(status=304, headers=headers)
    services.pulls.record(name, found.digest, found.tag)
    request["audit"] = ("pull", name, reference, found.digest)
    del headers["Content-Type"], headers["Content-Length"]
    return web.Response(body=found.body, headers=headers, content_type=found.media_type)


async def put(request: web.Request, name: str, reference: str) -> web.StreamResponse:
    services = request.app[SERVICES]
    limit = services.manifests.max_bytes
    declared = request.content_length
    if declared is not None and declared > limit:
        raise RegistryError("TOO_LARGE", f"manifest exceeds the {limit}-byte limit", status=413)
    body = await read_body(request, limit)
    if declared is not None and len(body) != declared and len(body) <= limit:
        raise RegistryError("SIZE_INVALID", "body is shorter than Content-Length")
    digest, parsed, tags = await services.manifests.put(
        name, reference, body, request.headers.get("Content-Type"), request.query.getall("tag", [])
    )
    response = web.Response(status=201, headers={
        "Location": f"/v2/{name}/manifests/{digest}",
        "Docker-Content-Digest": digest,
    })
    if parsed.subject is not None:
        response.headers["OCI-Subject"] = parsed.subject.digest
    for tag in request.query.getall("tag", []):
        response.headers.add("OCI-Tag", tag)
    request["audit"] = ("push", name, tags[0] if tags else digest, digest)
    return response


async def delete(request: web.Request, name: str, reference: str) -> web.StreamResponse:
    await request.app[SERVICES].manifests.delete(name, reference)
    request["audit"] = ("delete", name, reference)
    return web.Response(status=202)
