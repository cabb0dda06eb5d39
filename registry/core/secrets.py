"""Named secrets every Berth process shares (the token signing key, HMAC keys).

The first process to need a secret creates it; every other process and replica reads
the same value back, so tokens signed by one are verified by all.
"""
from __future__ import annotations

from collections.abc import Callable

from storage.meta.store import MetaStore


class SharedSecrets:
    def __init__(self, meta: MetaStore) -> None:
        self.meta = meta

    async def get_or_create(self, name: str, make: Callable[[], str]) -> str:
        return await self.meta.secrets.get_or_create(name, make)
