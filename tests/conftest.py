"""Shared fixtures: a real Berth server on loopback, and clients for it."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import urllib3

from tests.support.client import RegistryClient
from tests.support.server import ADMIN_PASSWORD, BerthServer

urllib3.disable_warnings()

ADMIN = ("admin", ADMIN_PASSWORD)


@pytest.fixture(scope="session")
def berth(tmp_path_factory: pytest.TempPathFactory):
    """One server shared by the tests that do not restart or reconfigure it."""
    server = BerthServer(tmp_path_factory.mktemp("berth") / "data",
                         settings={"auth": {"auto_create_projects": True}}).start()
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
