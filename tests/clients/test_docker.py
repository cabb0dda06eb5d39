"""The real docker (daemon 20.10, CLI 28) doing the walkthrough's Harbor steps against Berth:
``docker login`` with a password and with a robot account, tag, push into a private project,
``docker rmi`` and pull back, the pull counter, and refusals once logged out or without rights.
"""
from __future__ import annotations

import base64
import uuid

import pytest
import requests

from tests.api.conftest import wait_for
from tests.conftest import ADMIN
from tests.support.admin import add_project
from tests.support.dockerd import DockerCli
from tests.support.server import BerthServer

PROJECT = "gxs-project"


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """A server with the walkthrough's private project and pull counters flushed every second."""
    server = BerthServer(tmp_path_factory.mktemp("docker-berth") / "data",
                         settings={"pulls": {"flush_interval": 1}}).start()
    add_project(server, PROJECT)
    yield server
    server.stop()


@pytest.fixture
def docker(dockerd, tmp_path) -> DockerCli:
    """The CLI of one user: its own config.json, the shared daemon."""
    return dockerd.cli(tmp_path / "docker-config")


def _api(server: BerthServer, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, f"{server.url}/api/v2.0{path}", auth=ADMIN, timeout=10, **kwargs)


def _pull_count(server: BerthServer, repo: str) -> int:
    response = _api(server, "GET", f"/projects/{PROJECT}/repositories/{repo}")
    assert response.status_code == 200, response.text
    return response.json()["pull_count"]


def _robot(server: BerthServer, actions: tuple[str, ...]) -> dict:
    body = {"name": f"ci{uuid.uuid4().hex[:8]}", "level": "project", "duration": -1,
            "permissions": [{"kind": "project", "namespace": PROJECT,
                             "access": [{"resource": "repository", "action": a} for a in actions]}]}
    created = _api(server, "POST", "/robots", json=body)
    assert created.status_code == 201, created.text
    robot = created.json()
    assert robot["name"].startswith(f"robot${PROJECT}+")
    return robot


def _pushed(docker: DockerCli, registry: BerthServer, tmp_path, repo: str) -> str:
    """Build a local ``nginx:1.14`` of the test's own and tag it into the private project, as the walkthrough does."""
    local = f"local/{repo}:1.14"
    docker.build(local, tmp_path)
    ref = f"{registry.host}/{PROJECT}/{repo}:111"
    docker("tag", local, ref)
    return ref


def _login(docker: DockerCli, registry: BerthServer, user: str, password: str) -> None:
    login = docker("login", "-u", user, "--password-stdin", f"http://{registry.host}", stdin=password)
    assert "Login Succeeded" in login.stdout


def test_login_push_rmi_pull_counts(docker, registry, tmp_path):
    repo = f"nginx{uuid.uuid4().hex[:6]}"
    ref = _pushed(docker, registry, tmp_path, repo)
    refused = docker("push", ref, check=False)
    assert refused.returncode != 0 and "denied" in refused.stderr.lower()  # private project, not logged in
    login = docker("login", "-u", ADMIN[0], "-p", ADMIN[1], f"http://{registry.host}")
    assert "Login Succeeded" in login.stdout
    auth = docker.auths()[registry.host]
    assert base64.b64decode(auth["auth"]).decode() == f"{ADMIN[0]}:{ADMIN[1]}"
    assert "identitytoken" not in auth
    push = docker("push", ref)
    digest = push.stdout.split("digest: ")[1].split()[0]
    image_id = docker("image", "inspect", "--format", "{{.Id}}", ref).stdout.strip()
    docker("rmi", "-f", ref, f"local/{repo}:1.14")
    assert ref not in docker.images()
    before = _pull_count(registry, repo)
    pull = docker("pull", ref)
    assert f"Digest: {digest}" in pull.stdout
    assert docker("image", "inspect", "--format", "{{.Id}}", ref).stdout.strip() == image_id
    assert wait_for(lambda: _pull_count(registry, repo) == before + 1), _pull_count(registry, repo)
    artifacts = _api(registry, "GET", f"/projects/{PROJECT}/repositories/{repo}/artifacts").json()
    assert [a["digest"] for a in artifacts] == [digest]
    assert [t["name"] for t in artifacts[0]["tags"]] == ["111"]


def test_logout_then_pull_is_refused(docker, registry, tmp_path):
    repo = f"nginx{uuid.uuid4().hex[:6]}"
    ref = _pushed(docker, registry, tmp_path, repo)
    _login(docker, registry, *ADMIN)
    docker("push", ref)
    logout = docker("logout", registry.host)
    assert registry.host not in docker.auths()
    assert "Removing login credentials" in logout.stdout
    docker("rmi", "-f", ref)
    refused = docker("pull", ref, check=False)
    assert refused.returncode != 0
    assert "denied" in refused.stderr.lower() or "authentication required" in refused.stderr.lower()
    assert ref not in docker.images()


def test_robot_with_pull_and_push(docker, registry, tmp_path):
    robot = _robot(registry, ("pull", "push"))
    repo = f"nginx{uuid.uuid4().hex[:6]}"
    ref = _pushed(docker, registry, tmp_path, repo)
    _login(docker, registry, robot["name"], robot["secret"])
    auth = docker.auths()[registry.host]
    assert base64.b64decode(auth["auth"]).decode() == f"{robot['name']}:{robot['secret']}"
    docker("push", ref)
    docker("rmi", "-f", ref)
    docker("pull", ref)
    assert ref in docker.images()


def test_robot_with_pull_only_cannot_push(docker, registry, tmp_path):
    repo = f"nginx{uuid.uuid4().hex[:6]}"
    ref = _pushed(docker, registry, tmp_path, repo)
    _login(docker, registry, *ADMIN)
    docker("push", ref)
    reader = _robot(registry, ("pull",))
    _login(docker, registry, reader["name"], reader["secret"])
    docker("rmi", "-f", ref)
    docker("pull", ref)
    other = f"{registry.host}/{PROJECT}/{repo}:222"
    docker("tag", ref, other)
    refused = docker("push", other, check=False)
    assert refused.returncode != 0 and "denied" in refused.stderr.lower(), refused.stderr
    tags = _api(registry, "GET", f"/projects/{PROJECT}/repositories/{repo}/artifacts").json()[0]["tags"]
    assert [t["name"] for t in tags] == ["111"]


def test_a_push_cannot_move_an_immutable_tag(docker, registry, tmp_path):
    repo = f"nginx{uuid.uuid4().hex[:6]}"
    ref = _pushed(docker, registry, tmp_path, repo)
    _login(docker, registry, *ADMIN)
    first = docker("push", ref).stdout.split("digest: ")[1].split()[0]
    rule = {"tag_selectors": [{"kind": "doublestar", "decoration": "matches", "pattern": "111"}],
            "scope_selectors": {"repository": [{"kind": "doublestar", "decoration": "repoMatches", "pattern": repo}]}}
    assert _api(registry, "POST", f"/projects/{PROJECT}/immutabletagrules", json=rule).status_code == 201
    again = docker("push", ref)  # the same image under the same tag is not a move
    assert f"digest: {first}" in again.stdout
    other = tmp_path / "other"
    other.mkdir()
    docker.build(f"local/{repo}:other", other, files=2)
    docker("tag", f"local/{repo}:other", ref)
    refused = docker("push", ref, check=False)
    assert refused.returncode != 0
    assert f"'{PROJECT}/{repo}:111' configured as immutable" in refused.stderr, refused.stderr
    artifacts = _api(registry, "GET", f"/projects/{PROJECT}/repositories/{repo}/artifacts").json()
    assert [(a["digest"], a["tags"][0]["immutable"]) for a in artifacts if a["tags"]] == [(first, True)]
