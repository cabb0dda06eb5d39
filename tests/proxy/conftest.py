"""Upstreams for the proxy-cache tests: CNCF Distribution with htpasswd, and Berth itself."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.agent.registries import DISTRIBUTION, Distribution, htpasswd_line
from tests.api.conftest import Api
from tests.conftest import ADMIN
from tests.support.client import RegistryClient
from tests.support.server import BerthServer

USER, PASSWORD = "upstream", "Upstream-Passw0rd"


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory):
    """Distribution with ``auth: htpasswd`` (a Basic challenge), one user that may push and pull."""
    if not Path(DISTRIBUTION).exists():
        pytest.fail("CNCF Distribution (apt package docker-registry) is not installed: bash scripts/test.sh installs it")
    workdir = tmp_path_factory.mktemp("upstream")
    (workdir / "htpasswd").write_text(htpasswd_line(USER, PASSWORD) + "\n")
    registry = Distribution(workdir, {"htpasswd": {"realm": "berth-tests", "path": str(workdir / "htpasswd")}})
    registry.start()
    registry.client = RegistryClient(registry.url, (USER, PASSWORD))
    yield registry
    registry.stop()


def proxy_settings(**proxy) -> dict:
    return {"proxy": {"upstream_hosts": "127.0.0.1,localhost", **proxy}}


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory):
    """A Berth whose endpoints may point at loopback only, with tags revalidated after 2 s."""
    server = BerthServer(tmp_path_factory.mktemp("proxy") / "data",
                         settings=proxy_settings(manifest_check_interval=2)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def admin_api(proxy: BerthServer) -> Api:
    return Api(proxy.url, ADMIN)
