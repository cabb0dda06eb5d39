"""A background task that calls ``flush`` every few seconds and once more on stop.

Pull counters and the audit trail both gather writes in memory and store them in
batches, so that no request waits for a database write it does not need. A flush
that is under way when the process stops is shielded and awaited, never cut off in
the middle, so the batch it took is not lost.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger("berth")


class PeriodicFlusher:
    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._task: asyncio.Task | None = None
        self._flushing: asyncio.Future | None = None

    async def flush(self) -> int:
        raise NotImplementedError

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self._flushing = asyncio.ensure_future(self.flush())
            try:
                await asyncio.shield(self._flushing)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s: flush failed", type(self).__name__)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"{type(self).__name__}-flush")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._flushing is not None and not self._flushing.done():
            with contextlib.suppress(Exception):
                await self._flushing
        await self.flush()
