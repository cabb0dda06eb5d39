"""Several Berth processes serving one registry: PostgreSQL metadata, S3 blobs on SeaweedFS."""
from __future__ import annotations

import asyncio
import copy
from pathlib import Path

import pytest
import requests

from storage.meta import open_meta_store
from storage.blobs.s3 import MIN_PART_SIZE
from tests.support.server import BerthServer
from tests.support.services import Postgres, SeaweedFS, postgres, seaweedfs  # noqa: F401  (session fixtures)

FLUSH_INTERVAL = 1


def registry_settings(postgres: Postgres, seaweedfs: SeaweedFS) -> dict:  # noqa: F811
    """A fresh registry: its own database and bucket prefix, shared by every process given it."""
    return {
        "database": {"driver": "postgres", "dsn": postgres.create_database()},
        # The smallest part size, so the tests' blobs span several parts.
        "storage": {"driver": "s3", "s3": seaweedfs.s3_settings(part_size=MIN_PART_SIZE)},
        "auth": {"auto_create_projects": True},
        "pulls": {"flush_interval": FLUSH_INTERVAL},
    }


def with_changes(settings: dict, **sections: dict) -> dict:
    """``settings`` with some keys of some sections replaced."""
    changed = copy.deepcopy(settings)
    for section, values in sections.items():
        target = changed.setdefault(section, {})
        for key, value in values.items():
            if isinstance(value, dict):
                target.setdefault(key, {}).update(value)
            else:
                target[key] = value
    return changed


def repository_pulls(settings: dict, name: str) -> int:
    """The pull count written to the shared database, read the way Berth reads it."""
    async def read() -> int:
        meta = await open_meta_store(settings["database"], Path("."))
        try:
            record = await meta.repositories.get(name)
            return record.pull_count if record else 0
        finally:
            await meta.close()

    return asyncio.run(read())


def started(server: BerthServer) -> BerthServer:
    """Start ``server``, allowing for a worker that is still opening its stores.

    BerthServer's readiness probe reads with a 1 s timeout; a worker connecting to
    PostgreSQL and S3 on a busy machine can take longer than that before it answers.
    """
    try:
        return server.start()
    except requests.Timeout:
        requests.get(f"{server.url}/v2/", timeout=30)
        return server


@pytest.fixture(scope="module")
def settings(postgres: Postgres, seaweedfs: SeaweedFS) -> dict:  # noqa: F811
    return registry_settings(postgres, seaweedfs)


@pytest.fixture(scope="module")
def pair(settings: dict, tmp_path_factory: pytest.TempPathFactory):
    """Two processes, A and B, with identical settings — as behind any load balancer."""
    root = tmp_path_factory.mktemp("scale")
    servers = [BerthServer(root / name / "data", settings=settings) for name in ("a", "b")]
    try:
        for server in servers:
            started(server)
        yield tuple(servers)
    finally:
        for server in servers:
            server.stop()
