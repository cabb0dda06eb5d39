"""The one guarded way to make a blob readable in a repository.

Every path that links a blob — an upload finishing, a cross-repository mount, an
artifact copy — goes through ``BlobLinks.link``, so that each one is held to the
project's quota, waits for a garbage collection that is deleting the digest, and
never leaves a link to bytes that were collected meanwhile.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from registry.oci.digest import Digest
from registry.core.errors import RegistryError
from registry.core.names import project_of
from registry.core.proxy_projects import ProxyProjects
from registry.core.quotas import QuotaService
from storage.blobs.base import BlobStore
from storage.meta.references import DigestBusy
from storage.meta.store import MetaStore

T = TypeVar("T")
RETRY_DELAY = 0.05
RETRIES = 100  # five seconds: a claim is held only while one blob is deleted


async def linking(write: Callable[[], Awaitable[T]]) -> T:
    """Run a transaction that links digests, waiting while GC deletes one of them."""
    for _ in range(RETRIES):
        try:
            return await write()
        except DigestBusy:
            await asyncio.sleep(RETRY_DELAY)
    error = RegistryError("UNAVAILABLE", "garbage collection is deleting this content; retry shortly", status=503)
    error.headers["Retry-After"] = "1"
    raise error


class BlobLinks:
    def __init__(self, meta: MetaStore, store: BlobStore, quotas: QuotaService | None = None,
                 proxies: ProxyProjects | None = None) -> None:
        self.meta = meta
        self.store = store
        self.quotas = quotas
        self.proxies = proxies

    async def refuse_push(self, repo: str) -> None:
        """DENIED when ``repo`` takes no pushes (it is in a proxy-cache project)."""
        if self.proxies is not None:
            await self.proxies.refuse_push(repo)

    async def check_quota(self, repo: str, blobs: Iterable[tuple[str, int]]) -> None:
        """Refuse, before anything is linked, a push of blobs that together exceed the quota."""
        await self.refuse_push(repo)
        if self.quotas is not None:
            await self.quotas.check_all(repo, blobs)

    async def link(self, repo: str, digest: str, size: int) -> bool:
        """Link a pushed ``digest`` into ``repo``; False (and nothing linked) when its bytes are gone.

        Raises DENIED when the link would take the project over its quota, or ``repo`` takes no pushes.
        """
        await self.check_quota(repo, [(digest, size)])
        return await self._link(repo, digest, size)

    async def link_fetched(self, repo: str, digest: str, size: int) -> bool:
        """Link content a proxy-cache project fetched from its upstream: held to the quota like a push."""
        if self.quotas is not None:
            await self.quotas.check_all(repo, [(digest, size)])
        return await self._link(repo, digest, size)

    async def _link(self, repo: str, digest: str, size: int) -> bool:
        await linking(lambda: self.meta.blob_links.link(repo, project_of(repo), digest, size))
        if await self.store.stat(Digest.parse(digest)) is None:  # collected just before the link
            await self.meta.blob_links.unlink(repo, digest)
            return False
        return True
