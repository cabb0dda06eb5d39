"""Reading request bodies with an inactivity limit, like nginx's ``client_body_timeout``.

A client that declares a body and then stops sending would otherwise hold its
connection (and an upload's lock) for ever. The timer runs only while a handler waits
for the next piece, and each piece that arrives starts it again, so a slow but moving
upload lives, and time Berth itself spends writing to storage is never counted.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp.web_request import FileField
from multidict import MultiDictProxy

from registry.core.errors import RegistryError
from registry.oci.streams import read_at_most
from registry.http.appkeys import CONFIG


def _stalled(timeout: float) -> RegistryError:
    error = RegistryError("REQUEST_TIMEOUT", f"the request body stopped arriving for {timeout:g} seconds",
                          status=408)
    error.headers["Connection"] = "close"
    return error


class _TimedReader:
    """``request.content`` whose every read gives up after ``timeout`` seconds of silence."""

    def __init__(self, request: web.Request) -> None:
        self.content = request.content
        self.timeout = float(request.app[CONFIG]["http.body_timeout"])

    async def read(self, n: int = -1) -> bytes:
        try:
            async with asyncio.timeout(self.timeout):
                return await self.content.read(n)
        except TimeoutError:
            raise _stalled(self.timeout) from None

    async def pieces(self) -> AsyncIterator[bytes]:
        while True:
            try:
                async with asyncio.timeout(self.timeout):
                    chunk, _ = await self.content.readchunk()
            except TimeoutError:
                raise _stalled(self.timeout) from None
            if chunk:
                yield chunk
            elif self.content.at_eof():
                return


def body_pieces(request: web.Request) -> AsyncIterator[bytes]:
    """The body piece by piece as it arrives (no copy to join pieces); 408 when it stalls."""
    return _TimedReader(request).pieces()


async def read_body(request: web.Request, limit: int) -> bytes:
    """The whole body, or its first ``limit + 1`` bytes when longer; 408 when it stalls."""
    return await read_at_most(_TimedReader(request), limit)


async def read_form(request: web.Request) -> MultiDictProxy[str | bytes | FileField]:
    """A small form (a login, a token request); 408 when it has not all arrived in time.

    Forms are a few hundred bytes, so the whole body gets the inactivity limit once: a
    client that sends the head and then nothing ties up no handler for longer.
    """
    timeout = float(request.app[CONFIG]["http.body_timeout"])
    try:
        async with asyncio.timeout(timeout):
            return await request.post()
    except TimeoutError:
        raise _stalled(timeout) from None
