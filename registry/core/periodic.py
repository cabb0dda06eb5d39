"""A background task that calls ``flush`` every few seconds and once more on stop.

Pull counters and the audit trail both gather writes in memory and store them in
batches, so that no request waits for a database write it does not need. A flush
that is under way when the process stops is shielded and awaited, never cut off in
the middle, so the batch it took is not lost. A flush that fails keeps its batch for
the next one: both writers lose nothing to a database that is briefly away.
"""
from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
from typing import Generic, TypeVar

from registry.core import metrics

log = logging.getLogger("berth")
Batch = TypeVar("Batch")


class PeriodicFlusher(abc.ABC, Generic[Batch]):
    name = "batch"  # how its flushes are labelled in the metrics

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._task: asyncio.Task | None = None
        self._flushing: asyncio.Future | None = None

    @abc.abstractmethod
    def take(self) -> Batch | None:
        """Hand over what has gathered and start a new batch; None when there is nothing."""

    @abc.abstractmethod
    async def write(self, batch: Batch) -> int:
        """Store a batch; return how many events it held."""

    @abc.abstractmethod
    def keep(self, batch: Batch) -> None:
        """Put a batch that could not be written back, merged with what came in meanwhile."""

    async def flush(self) -> int:
        """Write what has gathered; on failure it is kept for the next flush."""
        batch = self.take()
        if batch is None:
            return 0
        try:
            written = await self.write(batch)
        except Exception:
            log.exception("%s: could not write; keeping the batch for the next flush", type(self).__name__)
            self.keep(batch)
            metrics.batch_flushed(self.name, 0, ok=False)
            return 0
        metrics.batch_flushed(self.name, written, ok=True)
        return written

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self._flushing = asyncio.ensure_future(self.flush())
            await asyncio.shield(self._flushing)

    @property
    def running(self) -> bool:
        """Whether the flushing task is alive (it ends only when stopped)."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"{type(self).__name__}-flush")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._flushing is not None and not self._flushing.done():
            await self._flushing
        await self.flush()
