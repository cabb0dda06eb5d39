"""Delivering webhook notifications in the background, with retries.

The request path only puts an event on a bounded queue (dropping it, with a log line,
when the queue is full), so a slow or dead receiver never slows a push or a pull.
A few workers turn events into HTTP POSTs and retry failures with exponential
back-off.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

import aiohttp

from registry.core import metrics
from registry.core.errors import bad_request
from registry.core.webhooks import ArtifactEvent, Delivery, Target, WebhookPolicies, ping_payload
from storage.meta.records import ProjectRecord

log = logging.getLogger("berth.webhooks")


class WebhookDelivery:
    def __init__(self, policies: WebhookPolicies, *, queue_size: int = 1000, workers: int = 2,
                 retries: int = 3, timeout: float = 10.0, backoff: float = 1.0) -> None:
        self.policies = policies
        self.queue: asyncio.Queue[ArtifactEvent] = asyncio.Queue(maxsize=queue_size)
        self.workers = workers
        self.retries = retries
        self.timeout = timeout
        self.backoff = backoff
        self.dropped = 0
        self._tasks: list[asyncio.Task] = []
        self._session: aiohttp.ClientSession | None = None

    def notify(self, event: ArtifactEvent) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1
            metrics.webhook_outcome("dropped")
            log.warning("webhook queue full; dropped %s of %s", event.type, event.repository)

    @property
    def running(self) -> bool:
        """Whether every sender is alive (they end only when stopped)."""
        return bool(self._tasks) and not any(task.done() for task in self._tasks)

    def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        self._tasks = [asyncio.create_task(self._work(), name=f"webhook-{i}") for i in range(self.workers)]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _work(self) -> None:
        while True:
            event = await self.queue.get()
            try:
                deliveries = await self.policies.deliveries(event)
                await asyncio.gather(*(self._send(d) for d in deliveries))
            except Exception:
                log.exception("webhook delivery of %s for %s failed", event.type, event.repository)
            finally:
                self.queue.task_done()

    async def test(self, targets: list[Target], operator: str, project: ProjectRecord) -> None:
        """Send each target a test call once, now; a target that does not answer 2xx is a bad request."""
        payload = ping_payload(operator, project)
        for target in targets:
            reason = await self._post(Delivery(target, payload))
            if reason is not None:
                raise bad_request(f"the endpoint {target.address} did not take the test call: {reason}")

    async def _post(self, delivery: Delivery) -> str | None:
        """One attempt: None when the target took it, else why not."""
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if delivery.target.auth_header:
            headers["Authorization"] = delivery.target.auth_header
        ssl = False if delivery.target.skip_cert_verify else None
        try:
            async with self._session.post(delivery.target.address, data=json.dumps(delivery.payload),
                                          headers=headers, ssl=ssl) as response:
                return None if response.status < 300 else f"HTTP {response.status}"
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            return f"{type(exc).__name__}: {exc}"

    async def _send(self, delivery: Delivery) -> bool:
        started = time.time()
        for attempt in range(self.retries + 1):
            reason = await self._post(delivery)
            if reason is None:
                metrics.webhook_outcome("delivered")
                await self.policies.record(delivery, True, f"delivered on attempt {attempt + 1}", started)
                return True
            metrics.webhook_attempt_failed()
            log.info("webhook to %s failed (%s), attempt %d of %d", delivery.target.address, reason,
                     attempt + 1, self.retries + 1)
            if attempt < self.retries:
                await asyncio.sleep(self.backoff * 2 ** attempt)
        log.warning("webhook %s to %s given up", delivery.payload["type"], delivery.target.address)
        metrics.webhook_outcome("failed")
        await self.policies.record(delivery, False, f"given up after {self.retries + 1} attempts: {reason}", started)
        return False
