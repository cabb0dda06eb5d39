"""Single-range ``Range`` requests for blobs streamed from a remote store.

Local files go through aiohttp's FileResponse, which handles ranges itself; this is
the same behaviour for backends that can only stream.
"""
from __future__ import annotations

import re

from aiohttp import web

from registry.core.blobs import BlobBody
from registry.core.errors import RegistryError

_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end) inclusive for a satisfiable single range; None for the whole blob."""
    if not header:
        return None
    match = _RANGE_RE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None  # unparsable ranges are ignored, as RFC 9110 allows
    first, last = match.groups()
    if first == "":
        length = int(last)
        start, end = max(size - length, 0), size - 1
    else:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        error = RegistryError("RANGE_INVALID", "requested range not satisfiable", status=416)
        error.headers["Content-Range"] = f"bytes */{size}"
        raise error
    return start, end


async def stream_range(request: web.Request, body: BlobBody, headers: dict[str, str]) -> web.StreamResponse:
    size = body.size
    wanted = parse_range(request.headers.get("Range"), size)
    start, end = wanted if wanted else (0, size - 1)
    response = web.StreamResponse(status=206 if wanted else 200, headers=headers)
    response.content_type = "application/octet-stream"
    response.content_length = end - start + 1 if size else 0
    if wanted:
        response.headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    await response.prepare(request)
    if request.method != "HEAD" and size:
        async for chunk in body.chunks(start, end):
            await response.write(chunk)
    await response.write_eof()
    return response
