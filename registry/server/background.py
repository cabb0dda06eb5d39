"""Every piece of background work a server process runs, started and stopped here only.

Batched writers (pull counters, the audit trail) flush once more when stopped and keep
a batch whose write failed for the next flush; webhook senders finish what they hold;
upkeep jobs (stale upload purging, scheduled garbage collection) repeat on a timer and
log a failed round instead of dying. Stopping runs in the reverse order of starting, so
nothing writes to a store after it has been closed.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from registry.config import Config
from registry.core.services import Services

log = logging.getLogger("berth")
SCHEDULE_TICK = 5.0  # how often schedules are looked at: the latest a due run starts


async def _repeat(every: float, job: Callable[[], Awaitable[object]], what: str) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await job()
        except Exception:
            log.exception("%s failed", what)


class Background:
    def __init__(self, services: Services, config: Config) -> None:
        self.services = services
        self.config = config
        self._upkeep: list[asyncio.Task] = []

    def _jobs(self) -> list[tuple[float, Callable[[], Awaitable[object]], str]]:
        return [
            (float(self.config["limits.upload_purge_interval"]), self.services.uploads.purge_stale,
             "purging stale uploads"),
            (SCHEDULE_TICK, self.services.gc.tick, "starting scheduled garbage collection"),
            (SCHEDULE_TICK, self.services.retention.tick, "starting scheduled tag retention"),
        ]

    def start(self) -> None:
        self.services.pulls.start()
        self.services.audit.start()
        self.services.webhooks.start()
        self._upkeep = [asyncio.create_task(_repeat(every, job, what), name=what)
                        for every, job, what in self._jobs()]

    async def check(self) -> None:
        """The health probe of the background work (Harbor's "jobservice"): every job alive."""
        stopped = [name for name, alive in (("pull counters", self.services.pulls.running),
                                            ("audit trail", self.services.audit.running),
                                            ("webhook delivery", self.services.webhooks.running))
                   if not alive]
        stopped += [task.get_name() for task in self._upkeep if task.done()]
        if stopped:
            raise RuntimeError("stopped: " + ", ".join(stopped))

    async def stop(self) -> None:
        for task in self._upkeep:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._upkeep = []
        await self.services.retention.stop()
        await self.services.gc.stop()
        await self.services.webhooks.stop()
        await self.services.audit.stop()
        await self.services.pulls.stop()
