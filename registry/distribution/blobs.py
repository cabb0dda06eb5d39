"""Handlers for /v2/<name>/blobs/<digest>: sendfile from local disks, streams otherwise."""
from __future__ import annotations

from aiohttp import web

from registry.core.names import parse_digest
from registry.distribution.ranges import stream_range
from registry.http.appkeys import SERVICES
from registry.http.sendfile import FileResponse


def _headers(digest: str, size: int | None = None) -> dict[str, str]:
    headers = {
        "Docker-Content-Digest": digest,
        "Accept-Ranges": "bytes",
        "ETag": f'"{digest}"',
        "Cache-Control": "max-age=31536000",
    }
    if size is not None:
        headers["Content-Length"] = str(size)
    return headers


async def head(request: web.Request, name: str, reference: str) -> web.StreamResponse:
    digest = parse_digest(reference)
    size = await request.app[SERVICES].blobs.size_in(name, digest)
    return web.Response(headers={**_headers(str(digest), size), "Content-Type": "application/octet-stream"})


async def get(request: web.Request, name: str, reference: str) -> web.StreamResponse:
    digest = parse_digest(reference)
    body = await request.app[SERVICES].blobs.open(name, digest)
    if body.redirect is not None:
        return web.Response(status=307, headers={"Location": body.redirect, "Docker-Content-Digest": str(digest)})
    if body.path is not None:
        response = FileResponse(body.path, headers=_headers(str(digest)))
        response.content_type = "application/octet-stream"
        return response
    return await stream_range(request, body, _headers(str(digest)))


async def delete(request: web.Request, name: str, reference: str) -> web.StreamResponse:
    digest = parse_digest(reference)
    await request.app[SERVICES].blobs.unlink(name, digest)
    return web.Response(status=202, headers={"Docker-Content-Digest": str(digest)})
