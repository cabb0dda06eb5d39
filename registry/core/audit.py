"""The audit trail: pushes, pulls, deletes and failed logins, written in batches."""
from __future__ import annotations

import time

from registry.core.periodic import PeriodicFlusher
from storage.meta.records import AuditRecord
from storage.meta.store import MetaStore


Entry = tuple[str, str, str, str, str, str, float]


class AuditTrail(PeriodicFlusher[list[Entry]]):
    name = "audit"

    def __init__(self, meta: MetaStore, interval: float = 2.0, max_pending: int = 10000) -> None:
        super().__init__(interval)
        self.meta = meta
        self.max_pending = max_pending
        self._pending: list[Entry] = []

    def record(self, username: str, operation: str, resource: str, resource_type: str = "artifact",
               result: str = "success", client: str = "") -> None:
        if len(self._pending) >= self.max_pending:
            return  # a flood of events must not exhaust memory; the request log still has them
        self._pending.append((username or "anonymous", operation, resource, resource_type, result, client,
                              time.time()))

    async def list(self, offset: int, limit: int, operation: str | None,
                   resource_prefix: str | None) -> tuple[list[AuditRecord], int]:
        """A page of entries, newest first, and how many match in all.

        What this process has gathered is written first, so whoever just pushed sees
        it at once; other processes' entries follow within their flush interval.
        """
        await self.flush()
        return await self.meta.audit.list(offset, limit, operation, resource_prefix)

    def take(self) -> list[Entry] | None:
        if not self._pending:
            return None
        batch, self._pending = self._pending, []
        return batch

    async def write(self, batch: list[Entry]) -> int:
        await self.meta.audit.add(batch)
        return len(batch)

    def keep(self, batch: list[Entry]) -> None:
        # Older entries first, and never more than max_pending: the newest overflow is dropped.
        self._pending = (batch + self._pending)[:self.max_pending]
