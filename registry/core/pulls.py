"""Pull counters kept in memory and written in batches.

A pull is a successful manifest GET (Harbor's rule). Writing a row per pull would put
a database write on the hottest path; instead pulls aggregate here and are added to
the database as increments every few seconds and on shutdown, so nothing is lost on
a clean stop and counts from several processes add up exactly.
"""
from __future__ import annotations

import time

from registry.core.periodic import PeriodicFlusher
from storage.meta.records import PullEvent
from storage.meta.store import MetaStore


Pending = dict[tuple[str, str], PullEvent]


class PullCounter(PeriodicFlusher[Pending]):
    name = "pulls"

    def __init__(self, meta: MetaStore, interval: float = 5.0) -> None:
        super().__init__(interval)
        self.meta = meta
        self._pending: Pending = {}

    def record(self, repo: str, digest: str, tag: str | None) -> None:
        now = time.time()
        event = self._pending.get((repo, digest))
        if event is None:
            event = self._pending[(repo, digest)] = PullEvent(repo, digest, 0, now)
        event.count += 1
        event.last = now
        if tag is not None:
            event.tags[tag] = now

    def take(self) -> Pending | None:
        if not self._pending:
            return None
        batch, self._pending = self._pending, {}
        return batch

    async def write(self, batch: Pending) -> int:
        await self.meta.pulls.add(batch.values())
        return sum(e.count for e in batch.values())

    def keep(self, batch: Pending) -> None:
        for key, event in batch.items():
            merged = self._pending.setdefault(key, PullEvent(event.repo, event.digest, 0, event.last))
            merged.count += event.count
            merged.last = max(merged.last, event.last)
            merged.tags.update(event.tags)
