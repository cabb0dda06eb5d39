"""Requests whose handlers are running, so a graceful shutdown can wait for them.

aiohttp's own shutdown stops reading request bodies at once, which would cut off an
upload in the middle; the server first waits here, with the listening socket closed,
until every running handler has finished (or the shutdown timeout passes).
"""
from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web


class Inflight:
    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @web.middleware
    async def middleware(self, request: web.Request, handler) -> web.StreamResponse:
        self.count += 1
        self._idle.clear()
        try:
            return await handler(request)
        finally:
            self.count -= 1
            if not self.count:
                self._idle.set()

    async def drained(self, timeout: float) -> bool:
        """Wait until no handler runs; False when the timeout passed first."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout)
        return not self.count


INFLIGHT = web.AppKey("inflight", Inflight)
