"""Handlers for /v2/<name>/blobs/uploads/: start, chunk, status, finish, cancel, mount."""
from __future__ import annotations

import contextlib
import re

from aiohttp import web

from registry.auth.access import Scope
from registry.core.errors import RegistryError
from registry.core.names import parse_digest, validate_name
from registry.http.bodies import body_pieces
from registry.http.appkeys import ACCESS, SERVICES

_CONTENT_RANGE_RE = re.compile(r"^(?:bytes[ =])?(\d+)-(\d+)(?:/\d+|/\*)?$")


def _progress(name: str, upload_id: str, size: int) -> dict[str, str]:
    return {
        "Location": f"/v2/{name}/blobs/uploads/{upload_id}",
        "Docker-Upload-UUID": upload_id,
        "Range": f"0-{max(size - 1, 0)}",
        "Content-Length": "0",
    }


def _created(name: str, digest: str) -> web.Response:
    return web.Response(status=201, headers={
        "Location": f"/v2/{name}/blobs/{digest}",
        "Docker-Content-Digest": digest,
        "Content-Length": "0",
    })


def _client(request: web.Request) -> str | None:
    return request.remote


async def _body(request: web.Request):
    """Stream the request body piece by piece as it arrives, refusing one that ends early.

    Pieces are passed on as received (the blob store batches them into large writes):
    reading fixed-size pieces instead would make aiohttp copy every byte once more to
    join them, which costs a third of an upload's CPU.
    """
    expected = request.content_length
    received = 0
    async for chunk in body_pieces(request):
        received += len(chunk)
        yield chunk
    if expected is not None and received != expected:
        raise RegistryError("SIZE_INVALID", f"received {received} of {expected} bytes")


def mount_scopes(request: web.Request) -> list[Scope]:
    """Pull on a cross-repository mount's ``from``: the mount needs it, the upload it falls back to does not.

    A ``mount`` without ``from`` mounts nothing (it starts an ordinary upload): Berth does
    not search other repositories for a digest, so a private blob never reaches
    whoever knows its digest.
    """
    mount, source = request.query.get("mount"), request.query.get("from")
    if not (mount and source):
        return []
    return [Scope("repository", validate_name(source), ("pull",))]


async def start(request: web.Request, name: str, reference: str) -> web.StreamResponse:
    if reference:
        raise RegistryError("NOT_FOUND", "POST goes to /blobs/uploads/ without an id", status=404)
    services = request.app[SERVICES]
    source = mount_scopes(request)
    if source:
        digest = parse_digest(request.query["mount"])
        try:
            await request.app[ACCESS].authorize(request, source)
            allowed = True
        except RegistryError:
            allowed = False
        if allowed and await services.blobs.mount(name, digest, source[0].name):
            return _created(name, str(digest))
    upload_id = await services.uploads.start(name, _client(request))
    if "digest" in request.query:
        digest = parse_digest(request.query["digest"])
        try:
            await services.uploads.append(name, upload_id, _body(request))
            await services.uploads.finish(name, upload_id, digest)
        except BaseException:
            with contextlib.suppress(RegistryError):
                await services.uploads.cancel(name, upload_id)
            raise
        return _created(name, str(digest))
    return web.Response(status=202, headers=_progress(name, upload_id, 0))


def _content_range(request: web.Request) -> tuple[int, int] | None:
    header = request.headers.get("Content-Range")
    if header is None:
        return None
    match = _CONTENT_RANGE_RE.match(header.strip())
    if not match:
        raise RegistryError("RANGE_INVALID", f"malformed Content-Range {header[:100]!r}")
    first, last = int(match[1]), int(match[2])
    if last < first:
        raise RegistryError("RANGE_INVALID", "Content-Range ends before it starts")
    length = request.content_length
    if length is not None and length != last - first + 1:
        raise RegistryError("SIZE_INVALID", "Content-Length does not match Content-Range")
    return first, last


async def patch(request: web.Request, name: str, upload_id: str) -> web.StreamResponse:
    span = _content_range(request)
    size = await request.app[SERVICES].uploads.append(name, upload_id, _body(request), span)
    return web.Response(status=202, headers=_progress(name, upload_id, size))


async def finish(request: web.Request, name: str, upload_id: str) -> web.StreamResponse:
    if "digest" not in request.query:
        raise RegistryError("DIGEST_INVALID", "PUT needs ?digest= to close an upload")
    digest = parse_digest(request.query["digest"])
    uploads = request.app[SERVICES].uploads
    if request.content_length or request.headers.get("Transfer-Encoding"):
        span = _content_range(request)
        await uploads.append(name, upload_id, _body(request), span)
    await uploads.finish(name, upload_id, digest)
    return _created(name, str(digest))


async def status(request: web.Request, name: str, upload_id: str) -> web.StreamResponse:
    size = await request.app[SERVICES].uploads.status(name, upload_id)
    return web.Response(status=204, headers=_progress(name, upload_id, size))


async def cancel(request: web.Request, name: str, upload_id: str) -> web.StreamResponse:
    await request.app[SERVICES].uploads.cancel(name, upload_id)
    return web.Response(status=204, headers={"Docker-Upload-UUID": upload_id})
