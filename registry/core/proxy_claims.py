"""One upstream request across every process that shares a database, not one per process.

Within a process, concurrent pulls already share one fetch (``BlobFetches``, and the
flights in ``ProxyCache``). Processes that share the database and the blob store —
``--workers N`` on one machine, or several machines on PostgreSQL and S3 — would each
still ask the upstream themselves, so the cross-process decisions are leases in the
shared database (``leases``, as garbage collection holds its own):

- a *fetch* claim per cold blob or manifest, held (and renewed) while the holder fetches
  and let go when it has stored the content or failed. Another process that finds it held
  waits until the content appears in the shared store and serves it from there (a blob
  whose holder is on the same machine it follows in the holder's file meanwhile, from a
  notice the holder leaves); when the
  holder fails, or dies and its claim expires, the next one takes it and asks the upstream
  itself (reporting the upstream's answer to its own clients);
- a *check* per proxied tag, taken for ``manifest_check_interval``: the process that takes
  it sends the HEAD, every other serves the cached manifest until it expires — with the
  ``Warning`` the checker left when the upstream failed;
- ``max_upstream_conn`` *slots* per proxy project, one held (and renewed) by each upstream
  request in flight anywhere, so the limit is the project's, not each process's.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from storage.meta.jobs import JobStore

log = logging.getLogger("berth.proxy")
T = TypeVar("T")
CLAIM_SECONDS = 30.0  # a holder that died is taken over this long after its last renewal
POLL_SECONDS = 0.1  # how often a waiting process looks for the holder's content


class UpstreamClaims:
    def __init__(self, jobs: JobStore) -> None:
        self.jobs = jobs
        self.holder = f"proxy-{uuid.uuid4().hex}"  # this process, as the leases name it
        self._held: dict[str, tuple[str, asyncio.Task]] = {}  # lease name → its holder here, its renewal

    async def hold_or_wait(self, name: str, ready: Callable[[], Awaitable[T | None]],
                           meanwhile: Callable[[], Awaitable[T | None]] | None = None) -> T | None:
        """None once this process holds the fetch claim ``name`` (``release`` it when done);
        what ``ready`` finds once another process's fetch has made the content available, or
        what ``meanwhile`` finds while that fetch is still held by another process."""
        while True:
            if await self.jobs.take_lease(name, self.holder, CLAIM_SECONDS):
                found = await ready()  # stored by a holder that let go just before
                if found is not None:
                    await self.jobs.release_lease(name, self.holder)
                    return found
                self._keep(name, self.holder)
                return None
            await asyncio.sleep(POLL_SECONDS)
            found = await ready()
            if found is None and meanwhile is not None:
                found = await meanwhile()
            if found is not None:
                return found

    async def take_slot(self, scope: str, limit: int) -> str | None:
        """One of ``limit`` slots of ``scope``, held across every process (``release`` it when done);
        None when all are held. Each slot has a holder of its own, so that two requests of one
        process never share one."""
        holder = f"{self.holder}-{uuid.uuid4().hex[:12]}"
        for index in range(limit):
            name = f"proxy-slot:{scope}:{index}"
            if await self.jobs.take_lease(name, holder, CLAIM_SECONDS):
                self._keep(name, holder)
                return name
        return None

    def _keep(self, name: str, holder: str) -> None:
        """Renew a lease just taken until it is released."""
        if name not in self._held:
            self._held[name] = (holder, asyncio.get_running_loop().create_task(self._renew(name, holder)))

    async def _renew(self, name: str, holder: str) -> None:
        while True:
            await asyncio.sleep(CLAIM_SECONDS / 3)
            try:
                await self.jobs.take_lease(name, holder, CLAIM_SECONDS)
            except Exception:  # the database is briefly away: the claim may lapse and be taken over
                log.warning("proxy: renewing the claim %s failed", name, exc_info=True)

    async def release(self, name: str) -> None:
        holder, renewal = self._held.pop(name, (self.holder, None))
        if renewal is not None:
            renewal.cancel()
        try:
            await self.jobs.release_lease(name, holder)
        except Exception:  # it expires by itself
            log.warning("proxy: releasing the claim %s failed", name, exc_info=True)

    async def first_to_check(self, name: str, seconds: float) -> bool:
        """True for the one process that should ask the upstream about ``name`` in the next ``seconds``."""
        return await self.jobs.take_lease(name, self.holder, seconds)

    async def tell_others(self, name: str, warning: str | None, seconds: float) -> None:
        """Leave (or, with None, take back) the Warning the other processes add to ``name`` meanwhile."""
        if warning is None:
            await self.jobs.drop_notice(name)
        else:
            await self.jobs.post_notice(name, warning, seconds)

    async def told(self, name: str) -> str | None:
        return await self.jobs.notice(name)

    async def held(self, name: str) -> bool:
        """Whether some process holds the claim ``name`` (unexpired)."""
        return await self.jobs.lease_held(name)

    async def close(self) -> None:
        for name in list(self._held):
            await self.release(name)
