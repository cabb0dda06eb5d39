"""Shared fixtures: a real Berth server on loopback, and clients for it."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import urllib3

from tests.support.client import RegistryClient
from tests.support.cluster import BalancedCluster
from tests.support.server import ADMIN_PASSWORD, BerthServer
from tests.support.services import postgres, seaweedfs  # noqa: F401  (session fixtures)

urllib3.disable_warnings()

ADMIN = ("admin", ADMIN_PASSWORD)


SHARED_SETTINGS = {"auth": {"auto_create_projects": True}}


@pytest.fixture(scope="session")
def berth(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest):
    """One server shared by the tests that do not restart or reconfigure it.

    With ``BERTH_TEST_STACK=scale`` it is two processes on PostgreSQL and SeaweedFS
    behind a round-robin nginx, so the same tests exercise the scale-out stack.
    """
    if os.environ.get("BERTH_TEST_STACK") == "scale":
        postgres, seaweedfs = request.getfixturevalue("postgres"), request.getfixturevalue("seaweedfs")
        settings = {**SHARED_SETTINGS,
                    "database": {"driver": "postgres", "dsn": postgres.create_database()},
                    "storage": {"driver": "s3", "s3": seaweedfs.s3_settings(prefix="shared/")}}
        server = BalancedCluster(tmp_path_factory.mktemp("cluster"), settings).start()
    else:
        server = BerthServer(tmp_path_factory.mktemp("berth") / "data", settings=SHARED_SETTINGS).start()
    yield server
    server.stop()


@pytest.fixture
def fresh_berth(tmp_path: Path):
    """A server of the test's own, for tests that restart, kill or reconfigure it."""
    servers: list[BerthServer] = []

    def make(**kwargs) -> BerthServer:
        server = BerthServer(tmp_path / f"data{len(servers)}", **kwargs)
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def client(berth: BerthServer) -> RegistryClient:
    return RegistryClient(berth.url, ADMIN)


@pytest.fixture
def repo() -> str:
    """A repository name no other test uses."""
    return f"library/t{uuid.uuid4().hex[:12]}"
