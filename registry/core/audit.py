"""The audit trail: pushes, pulls, deletes and failed logins, written in batches."""
from __future__ import annotations

import time

from registry.core.periodic import PeriodicFlusher
from storage.meta.store import MetaStore


class AuditTrail(PeriodicFlusher):
    def __init__(self, meta: MetaStore, interval: float = 2.0, max_pending: int = 10000) -> None:
        super().__init__(interval)
        self.meta = meta
        self.max_pending = max_pending
        self._pending: list[tuple[str, str, str, str, str, str, float]] = []

    def record(self, username: str, operation: str, resource: str, resource_type: str = "artifact",
               result: str = "success", client: str = "") -> None:
        if len(self._pending) >= self.max_pending:
            return  # a flood of events must not exhaust memory; the request log still has them
        self._pending.append((username or "anonymous", operation, resource, resource_type, result, client,
                              time.time()))

    async def flush(self) -> int:
        batch, self._pending = self._pending, []
        await self.meta.audit.add(batch)
        return len(batch)
