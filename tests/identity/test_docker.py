"""The real docker CLI with directory and provider users: ``docker login`` with an LDAP
password and with an OIDC user's CLI secret, a push into a project their group is a
developer of, and a refused push where their group has no role."""
from __future__ import annotations

import uuid

import pytest

from tests.api.conftest import Api, unique
from tests.conftest import ADMIN
from tests.identity.conftest import DEVELOPERS, PASSWORDS, oidc_server, oidc_sign_in
from tests.support.dockerd import DockerCli
from tests.support.oidc_provider import OidcProvider
from tests.support.server import BerthServer
from tests.support.slapd import Slapd


@pytest.fixture(scope="module")
def server(provider: OidcProvider, slapd: Slapd, tmp_path_factory: pytest.TempPathFactory):
    berth = oidc_server(provider, tmp_path_factory.mktemp("docker-identity") / "data")
    berth.settings["ldap"] = slapd.settings()
    berth.start()
    yield berth
    berth.stop()


@pytest.fixture(scope="module")
def projects(server: BerthServer) -> dict[str, str]:
    admin = Api(server.url, ADMIN)
    names = {kind: unique(kind) for kind in ("ldap", "oidc", "closed")}
    for name in names.values():
        assert admin.post("/projects", json={"project_name": name}).status_code == 201
    groups = {"ldap": {"group_type": 1, "ldap_group_dn": DEVELOPERS}, "oidc": {"group_type": 3, "group_name": "devs"}}
    for kind, group in groups.items():
        added = admin.post(f"/projects/{names[kind]}/members", json={"role_id": 2, "member_group": group})
        assert added.status_code == 201, added.text
    return names


@pytest.fixture
def docker(dockerd, tmp_path) -> DockerCli:
    return dockerd.cli(tmp_path / "docker-config")


def _push(docker: DockerCli, server: BerthServer, tmp_path, project: str):
    local = f"local/app{uuid.uuid4().hex[:6]}:1"
    docker.build(local, tmp_path)
    ref = f"{server.host}/{project}/app:1"
    docker("tag", local, ref)
    return docker("push", ref, check=False, timeout=120)


def _login(docker: DockerCli, server: BerthServer, user: str, password: str) -> None:
    login = docker("login", "-u", user, "--password-stdin", f"http://{server.host}", stdin=password)
    assert "Login Succeeded" in login.stdout


def test_a_directory_user_logs_in_and_pushes_where_their_group_may(docker, server, projects, tmp_path):
    _login(docker, server, "alice", PASSWORDS["alice"])
    assert _push(docker, server, tmp_path, projects["ldap"]).returncode == 0
    refused = _push(docker, server, tmp_path, projects["closed"])
    assert refused.returncode != 0 and "denied" in refused.stderr.lower()
    wrong = docker("login", "-u", "alice", "--password-stdin", f"http://{server.host}", stdin="Wrong-Pass-1",
                   check=False)
    assert wrong.returncode != 0


def test_an_oidc_user_logs_in_with_the_cli_secret_and_pushes_where_their_group_may(docker, server, projects,
                                                                                     tmp_path):
    session, _ = oidc_sign_in(server, "sub-oscar")
    secret = session.get(f"{server.url}/api/v2.0/users/current", timeout=10).json()["oidc_user_meta"]["secret"]
    _login(docker, server, "oscar", secret)
    assert _push(docker, server, tmp_path, projects["oidc"]).returncode == 0
    refused = _push(docker, server, tmp_path, projects["closed"])
    assert refused.returncode != 0 and "denied" in refused.stderr.lower()
    refused = _push(docker, server, tmp_path, projects["ldap"])
    assert refused.returncode != 0 and "denied" in refused.stderr.lower()
