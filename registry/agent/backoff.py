"""The kubelet's image pull back-off (``flowcontrol.Backoff``, without jitter).

After a failed pull the key (pod UID + image) waits 10 s, then 20 s, 40 s … up to
300 s. An entry not touched for twice the maximum starts again at the initial
delay. ``scale`` divides every duration so tests can run the real sequence fast.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

INITIAL = 10.0
MAXIMUM = 300.0


@dataclass
class _Entry:
    delay: float
    updated: float


class Backoff:
    def __init__(self, initial: float = INITIAL, maximum: float = MAXIMUM, *, scale: float = 1.0,
                 clock: Callable[[], float] = time.monotonic):
        if scale <= 0:
            raise ValueError("back-off scale must be positive")
        self.initial = initial / scale
        self.maximum = maximum / scale
        self._clock = clock
        self._entries: dict[str, _Entry] = {}

    def _expired(self, entry: _Entry, now: float) -> bool:
        return now - entry.updated > 2 * self.maximum

    def next(self, key: str) -> float:
        """Record a failure for ``key``; return the delay before it may be tried again."""
        now = self._clock()
        entry = self._entries.get(key)
        if entry is None or self._expired(entry, now):
            entry = self._entries[key] = _Entry(self.initial, now)
        else:
            entry.delay = min(entry.delay * 2, self.maximum)
            entry.updated = now
        return entry.delay

    def remaining(self, key: str) -> float:
        """Seconds ``key`` must still wait (0 when it is not backing off): ``IsInBackOffSinceUpdate``."""
        entry = self._entries.get(key)
        if entry is None:
            return 0.0
        now = self._clock()
        if self._expired(entry, now):
            return 0.0
        return max(0.0, entry.delay - (now - entry.updated))

    def gc(self) -> None:
        """Forget entries older than twice the maximum, as the kubelet does after a successful pull."""
        now = self._clock()
        self._entries = {k: e for k, e in self._entries.items() if not self._expired(e, now)}
