"""Upstreams for the proxy-cache tests: CNCF Distribution with htpasswd, and Berth itself."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.agent.registries import DISTRIBUTION, Distribution, htpasswd_line
from tests.api.conftest import Api
from tests.conftest import ADMIN
from tests.support.client import RegistryClient
from tests.support.server import BerthServer

USER, PASSWORD = "upstream", "Upstream-Passw0rd"


def _distribution(workdir: Path) -> Distribution:
    """Distribution with ``auth: htpasswd`` (a Basic challenge), one user that may push and pull."""
    if not Path(DISTRIBUTION).exists():
        pytest.fail("CNCF Distribution (apt package docker-registry) is not installed: bash scripts/test.sh installs it")
    (workdir / "htpasswd").write_text(htpasswd_line(USER, PASSWORD) + "\n")
    registry = Distribution(workdir, {"htpasswd": {"realm": "berth-tests", "path": str(workdir / "htpasswd")}})
    registry.start()
    registry.client = RegistryClient(registry.url, (USER, PASSWORD))
    return registry


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory):
    registry = _distribution(tmp_path_factory.mktemp("upstream"))
    yield registry
    registry.stop()


@pytest.fixture
def own_upstream(tmp_path: Path):
    """A Distribution of the test's own, for tests that stop it."""
    registry = _distribution(tmp_path)
    yield registry
    registry.stop()


def proxy_settings(**proxy) -> dict:
    return {"proxy": {"upstream_hosts": "127.0.0.1,localhost", **proxy}}


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory):
    """A Berth whose endpoints may point at loopback only, with tags revalidated after 2 s."""
    server = BerthServer(tmp_path_factory.mktemp("proxy") / "data",
                         settings={**proxy_settings(manifest_check_interval=2), "pulls": {"flush_interval": 1}}).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def admin_api(proxy: BerthServer) -> Api:
    return Api(proxy.url, ADMIN)


def upstream_requests(registry, method: str, path_part: str) -> int:
    """How many ``method`` requests for a path containing ``path_part`` Distribution's access log shows."""
    return sum(1 for line in registry.log().splitlines()
               if f'"{method} ' in line and path_part in line and "HTTP/1.1\"" in line)


def make_proxy_project(api: Api, url: str, kind: str = "docker-registry", login: tuple[str, str] | None = (USER, PASSWORD),
                       public: bool = True) -> str:
    """An endpoint for ``url`` and a proxy-cache project bound to it; returns the project's name."""
    name = f"px{uuid.uuid4().hex[:8]}"
    credential = {"type": "basic", "access_key": login[0], "access_secret": login[1]} if login else {}
    made = api.post("/registries", json={"name": name, "type": kind, "url": url, "insecure": True,
                                         "credential": credential})
    assert made.status_code == 201, made.text
    endpoint_id = int(made.headers["Location"].rsplit("/", 1)[1])
    project = api.post("/projects", json={"project_name": name, "registry_id": endpoint_id,
                                          "metadata": {"public": "true" if public else "false"}})
    assert project.status_code == 201, project.text
    return name
