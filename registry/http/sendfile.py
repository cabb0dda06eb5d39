"""File responses that stay zero-copy whichever event loop runs.

asyncio's loops implement ``loop.sendfile``; uvloop does not, and aiohttp then reads the
file into Python and writes it back out through a thread, a copy of every byte twice.
Under uvloop this sends it the way nginx does instead: non-blocking ``os.sendfile`` from
the event loop straight onto the connection's socket, waiting for the socket to drain
between calls, so the bytes never enter Python and no thread is held by a slow client.
TLS connections keep aiohttp's copy, since their bytes must pass through the encryption.
"""
from __future__ import annotations

import asyncio
import os
from typing import IO, Any

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter

# Bytes asked of one sendfile call; a non-blocking socket takes what fits in its buffer.
_MAX_PER_CALL = 8 << 20


class _Writable:
    """Wakes a coroutine when a socket can take more bytes.

    The socket belongs to the loop's transport, which the loop will not let anyone else
    watch, so this watches a duplicate of its descriptor (same socket, another number).
    It watches only while waiting: a writable socket would otherwise wake the loop on
    every turn.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, fd: int) -> None:
        self.loop = loop
        self.fd = os.dup(fd)
        self.waiter: asyncio.Future[None] | None = None

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def wait(self) -> None:
        self.waiter = self.loop.create_future()
        self.loop.add_writer(self.fd, self._wake)
        try:
            await self.waiter
        finally:
            self.loop.remove_writer(self.fd)

    def close(self) -> None:
        os.close(self.fd)


async def _flushed(transport: asyncio.Transport) -> None:
    """Wait until the transport has written everything queued (the response head)."""
    while transport.get_write_buffer_size():
        if transport.is_closing():
            raise ConnectionResetError("Connection lost")
        await asyncio.sleep(0.001)


async def send_zero_copy(transport: asyncio.Transport, fobj: IO[Any], offset: int, count: int) -> None:
    """Send ``count`` bytes of ``fobj`` from ``offset`` onto ``transport``'s socket with sendfile."""
    loop = asyncio.get_running_loop()
    await _flushed(transport)
    sock_fd = transport.get_extra_info("socket").fileno()
    file_fd = fobj.fileno()
    writable = _Writable(loop, sock_fd)
    try:
        while count > 0:
            try:
                sent = os.sendfile(sock_fd, file_fd, offset, min(count, _MAX_PER_CALL))
            except BlockingIOError:
                await writable.wait()
                continue
            if sent == 0:  # the file ended early: the promised length cannot be kept
                raise ConnectionResetError("file shorter than its response")
            offset += sent
            count -= sent
            await asyncio.sleep(0)  # let the loop serve others between socket-buffers full
    finally:
        writable.close()


class FileResponse(web.FileResponse):
    """aiohttp's FileResponse (ranges, conditional requests), zero-copy under uvloop too."""

    async def _sendfile_fallback(
        self, writer: AbstractStreamWriter, fobj: IO[Any], offset: int, count: int
    ) -> AbstractStreamWriter:
        transport = writer.transport
        if (transport is None or transport.get_extra_info("sslcontext") is not None
                or transport.get_extra_info("socket") is None or self.compression):
            return await super()._sendfile_fallback(writer, fobj, offset, count)
        await send_zero_copy(transport, fobj, offset, count)
        return writer
