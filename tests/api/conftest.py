"""A Berth server for the management API tests, with pull counters flushed every second,
and helpers to make users, projects and images over HTTP."""
from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable

import pytest
import requests

from tests.conftest import ADMIN
from tests.support.client import RegistryClient
from tests.support.images import make_image
from tests.support.cluster import BalancedCluster
from tests.support.server import BerthServer

SETTINGS = {
    "auth": {"auto_create_projects": True},
    "pulls": {"flush_interval": 1},
    "webhooks": {"backoff": 0.2, "retries": 2, "timeout": 5},
}
PASSWORD = "Member-Pass-1"


class Api:
    """requests against /api/v2.0 with fixed credentials (None: anonymous)."""

    def __init__(self, url: str, auth: tuple[str, str] | None) -> None:
        self.base = f"{url}/api/v2.0"
        self.session = requests.Session()
        self.session.auth = auth

    def __call__(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.session.request(method, self.base + path, timeout=10, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self("POST", path, **kwargs)

    def put(self, path: str, **kwargs) -> requests.Response:
        return self("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self("DELETE", path, **kwargs)


def error_code(response: requests.Response) -> str:
    return response.json()["errors"][0]["code"]


def unique(prefix: str = "p") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def wait_for(check: Callable[[], object], timeout: float = 6.0):
    """Poll until ``check`` returns something truthy (pull counters are flushed every second)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest):
    """With ``BERTH_TEST_STACK=scale``, two processes on PostgreSQL and SeaweedFS behind nginx, so
    that the policy tests see rules and runs written through one process act in the other."""
    if os.environ.get("BERTH_TEST_STACK") == "scale":
        postgres, seaweedfs = request.getfixturevalue("postgres"), request.getfixturevalue("seaweedfs")
        settings = {**SETTINGS, "database": {"driver": "postgres", "dsn": postgres.create_database()},
                    "storage": {"driver": "s3", "s3": seaweedfs.s3_settings(prefix="api/")}}
        berth = BalancedCluster(tmp_path_factory.mktemp("api-cluster"), settings).start()
    else:
        berth = BerthServer(tmp_path_factory.mktemp("api") / "data", settings=SETTINGS).start()
    yield berth
    berth.stop()


@pytest.fixture(scope="package")
def admin(server: BerthServer) -> Api:
    return Api(server.url, ADMIN)


@pytest.fixture(scope="package")
def anon(server: BerthServer) -> Api:
    return Api(server.url, None)


@pytest.fixture(scope="package")
def registry(server: BerthServer) -> RegistryClient:
    return RegistryClient(server.url, ADMIN)


@pytest.fixture
def project(admin: Api) -> str:
    """A new private project."""
    name = unique()
    assert admin.post("/projects", json={"project_name": name}).status_code == 201
    return name


@pytest.fixture
def user(admin: Api, server: BerthServer) -> Callable[..., tuple[Api, int]]:
    """Make a user (optionally a member of a project with a role); returns its client and id."""

    def make(project: str | None = None, role_id: int | None = None) -> tuple[Api, int]:
        name = unique("u")
        created = admin.post("/users", json={"username": name, "password": PASSWORD, "email": f"{name}@example.com"})
        assert created.status_code == 201, created.text
        user_id = int(created.headers["Location"].rsplit("/", 1)[1])
        if project is not None:
            added = admin.post(f"/projects/{project}/members",
                               json={"role_id": role_id, "member_user": {"username": name}})
            assert added.status_code == 201, added.text
        return Api(server.url, (name, PASSWORD)), user_id

    return make


@pytest.fixture
def image_in(registry: RegistryClient) -> Callable[..., str]:
    """Push a fresh single-platform image; returns its digest."""

    def push(repo: str, tag: str = "v1") -> str:
        return registry.push_image(repo, make_image(layers=1, layer_size=512), tag)

    return push
