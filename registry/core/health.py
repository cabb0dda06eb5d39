"""Whether what Berth depends on answers, component by component, as Harbor's /health reports.

Each probe is the cheapest real round trip to its component, so a health check
reports an outage without loading anything; probes run at once, each within a time
limit, so one hung dependency shows as unhealthy instead of hanging the check. The
database and the blob store (Harbor's "registry": the distribution side and its
storage) are probed here; the composition root adds what only it can see (the web
UI's files, the background jobs), and features that depend on more (proxy-cache
upstreams) add their own probes.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from registry.oci.digest import Digest
from storage.blobs.base import BlobStore
from storage.meta.store import MetaStore

_PROBE = Digest.parse("sha256:" + "0" * 64)
Probe = Callable[[], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    error: str | None  # None when healthy

    @property
    def healthy(self) -> bool:
        return self.error is None


async def _probe(name: str, check: Probe, timeout: float) -> Component:
    try:
        async with asyncio.timeout(timeout):
            await check()
    except TimeoutError:
        return Component(name, f"no answer within {timeout:g}s")
    except Exception as exc:  # any failure of a dependency is what a health check reports
        return Component(name, f"{type(exc).__name__}: {exc}"[:300])
    return Component(name, None)


class HealthCheck:
    def __init__(self, meta: MetaStore, blobs: BlobStore, timeout: float = 5.0) -> None:
        self.timeout = timeout  # seconds each probe may take
        self._probes: dict[str, Probe] = {
            "registry": lambda: blobs.stat(_PROBE),
            "database": meta.ping,
        }

    def add(self, name: str, probe: Probe) -> None:
        """Report one more component; ``probe`` raises (or times out) when it is unhealthy."""
        self._probes[name] = probe

    async def components(self) -> list[Component]:
        return list(await asyncio.gather(*(_probe(name, probe, self.timeout) for name, probe in sorted(self._probes.items()))))
