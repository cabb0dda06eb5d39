"""Reading bounded bodies from any stream with an async ``read(n)`` (aiohttp's, for one).

``read(n)`` returns what has arrived, up to n bytes — not n bytes — so a body that
comes in several segments must be read in a loop.
"""
from __future__ import annotations

from typing import Protocol


class Readable(Protocol):
    async def read(self, n: int = -1) -> bytes: ...


async def read_at_most(stream: Readable, limit: int) -> bytes:
    """The whole body, or its first ``limit + 1`` bytes when it is longer than ``limit``."""
    parts: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = await stream.read(limit + 1 - size)
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)
