"""One upstream GET per cold blob, however many clients want it at once.

The first miss starts a fetch that is not tied to any client: it writes the upstream's
bytes to a temporary file at the upstream's pace while every reader (the first client
and all that join it) follows the writer through its own file handle at its own pace,
so nothing is held in memory and no client slows another. The last byte is released
only once the whole blob hashes to its digest, so a client can never receive a
complete wrong blob: on a mismatch, a short or broken transfer, every reader's
connection is aborted and nothing is cached. Verified bytes go into the blob store
through its upload area, which makes them visible whole or not at all.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp

from registry.oci.digest import Digest
from storage.blobs.base import BlobStore

log = logging.getLogger("berth.proxy")
CHUNK = 1 << 20
BATCH = 256 << 10
LEFTOVER_AGE = 3600.0  # temporary files older than this at start are from a process that died

Opener = Callable[[], Awaitable[aiohttp.ClientResponse]]


class FetchFailed(ConnectionResetError):
    """A fetch that ended without a verified blob; raised into readers so their connections are cut."""


class BlobFetch:
    """One blob on its way from the upstream: the temporary file, how much is in it, how it ended."""

    def __init__(self, digest: Digest, path: Path, store: BlobStore) -> None:
        self.digest = digest
        self.path = path
        self.store = store
        self.size: int | None = None
        self.written = 0
        self.verified = False
        self.failure: str | None = None  # why it failed; a RequestError before any byte is kept in ``error``
        self.error: Exception | None = None
        self.started = asyncio.Event()  # the size is known, or the fetch failed
        self.repos: set[str] = set()  # repositories the blob is linked into once stored
        self.upload_id: str | None = None  # set when the bytes go straight into the store's upload area
        self._changed = asyncio.Condition()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _fail(self, reason: str, error: Exception | None = None) -> None:
        self.failure, self.error = reason, error
        self.started.set()
        await self._notify()

    async def run(self, open_response: Opener, commit: Callable[[int], Awaitable[None]],
                  on_transferred: Callable[[], Awaitable[None]] | None = None) -> None:
        """Fetch, verify, store (``commit``); any failure is recorded and wakes every reader.

        ``on_transferred`` is called as soon as the upstream's part is over, before storing.
        """
        try:
            try:
                hexdigest = await self._transfer(open_response)
            finally:
                if on_transferred is not None:
                    await on_transferred()
            if hexdigest is None:
                return
            if hexdigest != self.digest.hex:
                await self._fail(f"the upstream's bytes hash to {self.digest.algorithm}:{hexdigest}")
                return
            self.verified = True
            await self._notify()
            await commit(self.written)
        except Exception as error:  # a store failure: the readers have what they need, nothing is cached
            log.exception("proxy: storing %s failed", self.digest)
            if not self.verified:
                await self._fail(f"storing failed: {error}")
        finally:
            if self.failure is not None:
                log.warning("proxy: fetch of %s failed, nothing cached: %s", self.digest, self.failure)
            self.path.unlink(missing_ok=True)

    async def _write_into_store(self) -> None:
        """Fill the store's own upload file when it has one: once verified, committing it is a
        rename, not a second copy of the blob competing with the readers for the disk and the loop."""
        upload_id = f"proxy-{self.digest.hex[:16]}-{uuid.uuid4().hex[:12]}"
        local = self.store.upload_file(upload_id)
        if local is not None:
            await self.store.upload_start(upload_id)
            self.path, self.upload_id = local, upload_id

    async def _transfer(self, open_response: Opener) -> str | None:
        """Write the upstream's bytes to the file; their hex digest, or None after recording why not."""
        try:
            await self._write_into_store()
            response = await open_response()
        except Exception as error:  # the upstream's refusal, told to whoever waits as an OCI error
            await self._fail(str(error), error)
            return None
        async with response:
            if response.content_length is None:
                await self._fail("the upstream sent no Content-Length")
                return None
            self.size = response.content_length
            self.started.set()
            hasher = self.digest.hasher()
            try:
                with open(self.path, "wb") as out:
                    async for chunk in response.content.iter_chunked(CHUNK):
                        if self.written + len(chunk) > self.size:
                            await self._fail(f"the upstream sent more than its {self.size} bytes")
                            return None
                        out.write(chunk)
                        out.flush()  # readers follow the file, not this buffer
                        hasher.update(chunk)
                        self.written += len(chunk)
                        await self._notify()
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
                await self._fail(f"the transfer broke off after {self.written} bytes: {error or type(error).__name__}")
                return None
        if self.written != self.size:
            await self._fail(f"the upstream sent {self.written} of {self.size} bytes")
            return None
        return hasher.hexdigest()

    def _readable(self) -> int:
        """Bytes a reader may have: all once verified, else all but the last one."""
        assert self.size is not None
        return self.size if self.verified else min(self.written, self.size - 1)

    async def read(self, digest: Digest, start: int, end: int) -> AsyncIterator[bytes]:
        """Bytes ``start`` … ``end`` as the writer delivers them (a BlobBody source)."""
        try:
            handle = open(self.path, "rb")
        except FileNotFoundError:
            if not self.verified or self.failure is not None:
                raise FetchFailed(f"fetch of {digest} failed: {self.failure}") from None
            async for chunk in self.store.read(digest, start, end):  # stored meanwhile
                yield chunk
            return
        with handle:
            position = start
            while position <= end:
                # Wait for a good piece (or the rest), so that a reader does not send a trickle of tiny writes.
                wanted = min(position + BATCH, end + 1)
                async with self._changed:
                    while self.failure is None and self._readable() < wanted and not self.verified:
                        await self._changed.wait()
                if self.failure is not None and not self.verified:
                    raise FetchFailed(f"fetch of {digest} failed: {self.failure}")
                handle.seek(position)
                data = handle.read(min(self._readable(), end + 1, position + CHUNK) - position)
                position += len(data)
                yield data


class BlobFetches:
    """The fetches in flight in this process, by digest, and the folder their files live in."""

    def __init__(self, store: BlobStore, folder: Path) -> None:
        self.store = store
        self.folder = folder
        self._fetches: dict[str, BlobFetch] = {}
        self._tasks: set[asyncio.Task] = set()
        if self.folder.is_dir():
            for leftover in self.folder.iterdir():
                if leftover.stat().st_mtime < time.time() - LEFTOVER_AGE:
                    leftover.unlink(missing_ok=True)

    def current(self, digest: Digest) -> BlobFetch | None:
        return self._fetches.get(str(digest))

    def join(self, digest: Digest, open_response: Opener, commit: Callable[[int], Awaitable[None]],
             on_transferred: Callable[[], Awaitable[None]] | None = None,
             on_finished: Callable[[], Awaitable[None]] | None = None) -> tuple[BlobFetch, bool]:
        """The fetch of ``digest`` in flight (False), or a new one started with ``open_response`` (True),
        which calls ``on_transferred`` once the upstream's part is over and ``on_finished`` once the
        blob is stored or given up, however it ended."""
        fetch = self._fetches.get(str(digest))
        if fetch is not None:
            return fetch, False
        self.folder.mkdir(parents=True, exist_ok=True)
        fetch = BlobFetch(digest, self.folder / f"{digest.hex}.{os.getpid()}.{uuid.uuid4().hex[:8]}", self.store)
        self._fetches[str(digest)] = fetch

        async def run() -> None:
            try:
                await fetch.run(open_response, commit, on_transferred)
            finally:
                self._fetches.pop(str(digest), None)
                if on_finished is not None:
                    await on_finished()

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return fetch, True

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
