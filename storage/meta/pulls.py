"""Pull counters of repositories, manifests and tags, written in aggregated batches."""
from __future__ import annotations

from collections.abc import Iterable

from storage.meta.database import Database
from storage.meta.records import PullEvent


class PullStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, events: Iterable[PullEvent]) -> None:
        """Add aggregated pulls; increments, so several processes' counts add up exactly."""
        events = list(events)
        if not events:
            return
        # Tables in LOCK_ORDER and rows in a fixed order, so concurrent flushes, pushes and
        # deletes queue on row locks instead of deadlocking.
        events.sort(key=lambda e: (e.repo, e.digest))
        per_repository: dict[str, int] = {}
        for e in events:
            per_repository[e.repo] = per_repository.get(e.repo, 0) + e.count
        async with self.db.transaction() as tx:
            for repo, count in sorted(per_repository.items()):
                await tx.execute("UPDATE repositories SET pull_count = pull_count + ? WHERE name = ?", count, repo)
            for e in events:
                await tx.execute(
                    "UPDATE manifests SET pull_count = pull_count + ?,"
                    " pull_time = CASE WHEN pull_time IS NULL OR pull_time < ? THEN ? ELSE pull_time END"
                    " WHERE repo = ? AND digest = ?",
                    e.count, e.last, e.last, e.repo, e.digest,
                )
            for e in events:
                for tag, when in sorted(e.tags.items()):
                    await tx.execute(
                        "UPDATE tags SET pull_time = ? WHERE repo = ? AND name = ?", when, e.repo, tag
                    )
