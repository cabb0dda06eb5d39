"""One upstream GET per cold blob, however many clients want it at once.

The first miss starts a fetch that is not tied to any client: it writes the upstream's
bytes to a temporary file at the upstream's pace while every reader (the first client
and all that join it) follows the writer through its own file handle at its own pace,
so nothing is held in memory and no client slows another. The last byte is released
only once the whole blob hashes to its digest, so a client can never receive a
complete wrong blob: on a mismatch, a short or broken transfer, every reader's
connection is aborted and nothing is cached. Verified bytes go into the blob store
through its upload area, which makes them visible whole or not at all. Other processes
on the same machine follow the same file (``FollowedFetch``), under the same rule for the
last byte.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from registry.oci.digest import Digest
from storage.blobs.base import BlobStore

log = logging.getLogger("berth.proxy")
CHUNK = 1 << 20
BATCH = 256 << 10
LEFTOVER_AGE = 3600.0  # temporary files older than this at start are from a process that died
FOLLOW_POLL = 0.02  # how often a follower of another process's fetch looks for more bytes
HOLDER_CHECK = 25  # idle looks between asking whether that fetch is still claimed

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
                  on_transferred: Callable[[], Awaitable[None]] | None = None,
                  on_started: Callable[["BlobFetch"], Awaitable[None]] | None = None) -> None:
        """Fetch, verify, store (``commit``); any failure is recorded and wakes every reader.

        ``on_started`` is called once the size is known, before the first byte is written;
        ``on_transferred`` as soon as the upstream's part is over, before storing.
        """
        try:
            try:
                hexdigest = await self._transfer(open_response, on_started)
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

    async def _transfer(self, open_response: Opener,
                        on_started: Callable[["BlobFetch"], Awaitable[None]] | None) -> str | None:
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
            if on_started is not None:
                await on_started(self)
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


def machine_id() -> str:
    """Which machine a local path belongs to: the host name and this boot of its kernel."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = ""
    return f"{socket.gethostname()}/{boot}"


@dataclass(frozen=True, slots=True)
class FetchNotice:
    """What the process fetching a blob tells the others: where on which machine its file grows."""

    machine: str
    path: str
    size: int
    repo: str  # the repository the upstream granted the blob to

    def as_text(self) -> str:
        return json.dumps({"machine": self.machine, "path": self.path, "size": self.size, "repo": self.repo})

    @classmethod
    def parse(cls, text: str | None) -> "FetchNotice | None":
        try:
            return cls(**json.loads(text)) if text else None
        except (TypeError, ValueError):
            return None

    def here(self) -> bool:
        return self.machine == machine_id()


class FollowedFetch:
    """Another process's fetch on this machine, read from its file as it grows (a BlobBody source).

    Workers of one machine share the store's upload area, where the fetching process writes,
    so a worker that did not win the fetch need not wait for the whole blob: it sends what the
    file holds, behind the writer. The last byte waits until the blob is in the store (the
    holder verified it); when the fetch ends without storing it, the reader's connection is
    cut, as for readers of a fetch in this process. ``held`` says whether the fetch is still
    claimed; ``on_stored`` runs once the blob is known to be stored.
    """

    def __init__(self, notice: FetchNotice, store: BlobStore, held: Callable[[], Awaitable[bool]],
                 on_stored: Callable[[], Awaitable[None]]) -> None:
        self.path = Path(notice.path)
        self.size = notice.size
        self.store = store
        self.held = held
        self.on_stored = on_stored
        self.verified = False

    async def _is_stored(self, digest: Digest) -> bool:
        if not self.verified and await self.store.stat(digest) == self.size:
            self.verified = True
            await self.on_stored()
        return self.verified

    async def read(self, digest: Digest, start: int, end: int) -> AsyncIterator[bytes]:
        try:
            handle = open(self.path, "rb")
        except FileNotFoundError:  # committed, or given up, before this reader looked
            if not await self._is_stored(digest):
                raise FetchFailed(f"fetch of {digest} in another process failed") from None
            async for chunk in self.store.read(digest, start, end):
                yield chunk
            return
        with handle:
            position, idle = start, 0
            while position <= end:
                grown = os.fstat(handle.fileno()).st_size
                readable = self.size if self.verified else min(grown, self.size - 1)
                if readable > position:
                    handle.seek(position)
                    data = handle.read(min(readable, end + 1, position + CHUNK) - position)
                    position += len(data)
                    idle = 0
                    yield data
                    continue
                if grown >= self.size and await self._is_stored(digest):
                    continue
                idle += 1
                if idle % HOLDER_CHECK == 0 and not await self.held() and not await self._is_stored(digest):
                    raise FetchFailed(f"fetch of {digest} in another process ended without storing it")
                await asyncio.sleep(FOLLOW_POLL)


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
             on_finished: Callable[[], Awaitable[None]] | None = None,
             on_started: Callable[[BlobFetch], Awaitable[None]] | None = None) -> tuple[BlobFetch, bool]:
        """The fetch of ``digest`` in flight (False), or a new one started with ``open_response`` (True),
        which calls ``on_started`` once its size is known, ``on_transferred`` once the upstream's part
        is over and ``on_finished`` once the blob is stored or given up, however it ended."""
        fetch = self._fetches.get(str(digest))
        if fetch is not None:
            return fetch, False
        self.folder.mkdir(parents=True, exist_ok=True)
        fetch = BlobFetch(digest, self.folder / f"{digest.hex}.{os.getpid()}.{uuid.uuid4().hex[:8]}", self.store)
        self._fetches[str(digest)] = fetch

        async def run() -> None:
            try:
                await fetch.run(open_response, commit, on_transferred, on_started)
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
