"""A token bucket per key (a client address), for requests that cost Berth work but
prove nothing about the caller, such as anonymous token requests."""
from __future__ import annotations

import time

from registry.core.errors import RegistryError

MAX_TRACKED = 100_000


class RateLimiter:
    def __init__(self, per_second: float, burst: int) -> None:
        self.per_second = per_second
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> None:
        if self.per_second <= 0:
            return
        now = time.monotonic()
        tokens, last = self._buckets.get(key, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - last) * self.per_second)
        if tokens < 1:
            error = RegistryError("TOOMANYREQUESTS", "too many requests; slow down")
            error.headers["Retry-After"] = str(int((1 - tokens) / self.per_second) + 1)
            raise error
        if len(self._buckets) > MAX_TRACKED:
            self._buckets.clear()
        self._buckets[key] = (tokens - 1, now)
