"""Back-off for failed logins, per account and per client address.

After a few failures in a row, each further attempt must wait twice as long as the
last (up to five minutes); a success clears the account's record. An address gets
more free failures than an account, since many people may share one (NAT, CI). Attempts during a
back-off are refused without checking the password, so guessing gets no faster by
trying harder.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from registry.core.errors import RegistryError

MAX_DELAY = 300.0
FORGET_AFTER = 3600.0
MAX_TRACKED = 100_000


@dataclass(slots=True)
class _Record:
    failures: int
    blocked_until: float
    last: float


class LoginThrottle:
    def __init__(self, per_account: int, per_address: int, max_delay: float = MAX_DELAY) -> None:
        self.free_failures = {"user": per_account, "addr": per_address}
        self.max_delay = max_delay
        self._records: dict[str, _Record] = {}

    def check(self, *keys: str) -> None:
        now = time.monotonic()
        for key in keys:
            record = self._records.get(key)
            if record is not None and record.blocked_until > now:
                wait = int(record.blocked_until - now) + 1
                error = RegistryError("TOOMANYREQUESTS", f"too many failed logins; try again in {wait} s")
                error.headers["Retry-After"] = str(wait)
                raise error

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        if len(self._records) > MAX_TRACKED:
            self._records = {k: r for k, r in self._records.items() if now - r.last < FORGET_AFTER}
        for key in keys:
            record = self._records.get(key)
            if record is None or now - record.last > FORGET_AFTER:
                record = self._records[key] = _Record(0, 0.0, now)
            record.failures += 1
            record.last = now
            over = record.failures - self.free_failures[key.split(":", 1)[0]]
            if over >= 0:
                record.blocked_until = now + min(2.0 ** over, self.max_delay)

    def succeeded(self, key: str) -> None:
        self._records.pop(key, None)
