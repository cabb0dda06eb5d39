"""How every administration and upkeep command reaches the registry's stores.

Commands open the configured stores directly, like ``berth serve`` does, so they work
on a registry that is not running. Only ``serve`` and ``init`` create a registry: a
command run in the wrong folder says where it looked instead of setting up a new one there.
"""
from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

from registry.config import Config
from registry.core.errors import RegistryError
from registry.core.services import Services
from registry.server.wiring import open_registry
from storage.meta.factory import NoRegistry


def run_on_registry(config: Config, action: Callable[[Services], Awaitable[int]]) -> int:
    """Run ``action`` on the existing registry ``config`` names; its exit status, or 1-2 on refusal."""
    async def go() -> int:
        registry = await open_registry(config, create=False)
        try:
            return await action(registry.services)
        finally:
            await registry.close()

    try:
        return asyncio.run(go())
    except NoRegistry as missing:
        print(f"berth: {missing}: the data directory {config.data_dir} holds no registry.\n"
              "Point this command at an existing one with --data DIR, --config FILE or BERTH_DATA=DIR,"
              " or create one there with `berth init --data DIR` (or `berth serve`).", file=sys.stderr)
        return 2
    except RegistryError as error:
        print(f"berth: {error.message}", file=sys.stderr)
        return 1
