"""Whether what Berth depends on answers: the database and the blob store.

Each probe is the cheapest real round trip to its component, so a health check
reports an outage without loading anything.
"""
from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass

from registry.oci.digest import Digest
from storage.blobs.base import BlobStore
from storage.meta.store import MetaStore

_PROBE = Digest.parse("sha256:" + "0" * 64)


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    error: str | None  # None when healthy

    @property
    def healthy(self) -> bool:
        return self.error is None


async def _probe(name: str, check: Awaitable[object]) -> Component:
    try:
        await check
    except Exception as exc:  # any failure of a dependency is what a health check reports
        return Component(name, f"{type(exc).__name__}: {exc}"[:300])
    return Component(name, None)


class HealthCheck:
    def __init__(self, meta: MetaStore, blobs: BlobStore) -> None:
        self.meta = meta
        self.blobs = blobs

    async def components(self) -> list[Component]:
        return [await _probe("database", self.meta.ping()),
                await _probe("storage", self.blobs.stat(_PROBE))]
