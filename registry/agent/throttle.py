"""The kubelet's pull settings: how many pulls run at once, and how fast pulls may start.

``serializeImagePulls: true`` (the default) lets one pull run on the node at a time;
with it false, ``maxParallelImagePulls`` caps them (unset: no cap). Independently,
``registryPullQPS`` (5) and ``registryBurst`` (10) put a token bucket in front of the
runtime's ``PullImage``: a call that finds the bucket empty is not queued but fails
with "pull QPS exceeded", as the kubelet's ``throttledImageService`` does, and the
container goes through the usual ErrImagePull back-off.
"""
from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from typing import AsyncIterator, Callable

from registry.agent.errors import PullError
from registry.agent.keyring import Credential
from registry.agent.runtime import ImageFs, ImageRuntime, RuntimeImage
from registry.agent.workloads import PodSpec
from registry.oci.reference import ImageReference

DEFAULT_QPS = 5.0
DEFAULT_BURST = 10


class TokenBucket:
    """``flowcontrol.NewTokenBucketRateLimiter``: starts full with ``burst`` tokens, refills at ``qps``."""

    def __init__(self, qps: float, burst: int, clock: Callable[[], float] = time.monotonic):
        if qps <= 0 or burst < 1:
            raise ValueError("a token bucket needs qps > 0 and burst >= 1")
        self.qps, self.burst = qps, burst
        self._clock = clock
        self._tokens = float(burst)
        self._at = clock()

    def try_accept(self) -> bool:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.qps)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False


class ThrottledRuntime(ImageRuntime):
    """A runtime whose ``pull`` is refused while the QPS bucket is empty; every other call passes."""

    def __init__(self, runtime: ImageRuntime, bucket: TokenBucket):
        self.runtime = runtime
        self.bucket = bucket

    async def status(self, ref: ImageReference) -> RuntimeImage | None:
        return await self.runtime.status(ref)

    async def pull(self, ref: ImageReference, credential: Credential | None = None, pod: PodSpec | None = None) -> str:
        if not self.bucket.try_accept():
            raise PullError("pull QPS exceeded")
        return await self.runtime.pull(ref, credential, pod)

    async def images(self) -> list[RuntimeImage]:
        return await self.runtime.images()

    async def remove(self, image_id: str) -> None:
        await self.runtime.remove(image_id)

    async def fs_info(self) -> ImageFs:
        return await self.runtime.fs_info()

    async def close(self) -> None:
        await self.runtime.close()


def throttled(runtime: ImageRuntime, qps: float = DEFAULT_QPS, burst: int = DEFAULT_BURST) -> ImageRuntime:
    """``runtime`` behind the kubelet's pull rate limit; ``qps`` 0 means no limit."""
    return ThrottledRuntime(runtime, TokenBucket(qps, burst)) if qps > 0 else runtime


class PullSlots:
    """How many pulls may run at once on the node: 1 is the kubelet's serialized default, None no cap."""

    def __init__(self, limit: int | None = 1):
        if limit is not None and limit < 1:
            raise ValueError("the number of parallel image pulls must be at least 1")
        self.limit = limit
        self._semaphore = asyncio.Semaphore(limit) if limit else None

    @property
    def serialized(self) -> bool:
        return self.limit == 1

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._semaphore is None:
            yield
            return
        async with self._semaphore:
            yield
