"""Fixtures for the node agent: real Distribution registries on loopback, Secrets made by
kubectl, and a way to run the agent on manifests."""
from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.agent.registries import DISTRIBUTION, Distribution, TokenServer, basic, htpasswd_line

USER, PASSWORD = "puller", "s3cret-Passw0rd"

@pytest.fixture(scope="session")
def plain_registry(tmp_path_factory: pytest.TempPathFactory):
    """Distribution without authentication."""
    if not Path(DISTRIBUTION).exists():
        pytest.fail("CNCF Distribution (apt package docker-registry) is not installed: bash scripts/test.sh installs it")
    registry = Distribution(tmp_path_factory.mktemp("plain")).start()
    yield registry
    registry.stop()


@pytest.fixture(scope="session")
def basic_registry(tmp_path_factory: pytest.TempPathFactory):
    """Distribution with ``auth: htpasswd``: a Basic challenge, one user."""
    if not Path(DISTRIBUTION).exists():
        pytest.fail("CNCF Distribution (apt package docker-registry) is not installed: bash scripts/test.sh installs it")
    workdir = tmp_path_factory.mktemp("basic")
    (workdir / "htpasswd").write_text(htpasswd_line(USER, PASSWORD) + "\n")
    registry = Distribution(workdir, {"htpasswd": {"realm": "berth-tests", "path": str(workdir / "htpasswd")}})
    registry.start()
    registry.push_authorization = basic(USER, PASSWORD)
    yield registry
    registry.stop()


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory):
    """Distribution with ``auth: token`` and the token server that issues for it."""
    if not Path(DISTRIBUTION).exists():
        pytest.fail("CNCF Distribution (apt package docker-registry) is not installed: bash scripts/test.sh installs it")
    workdir = tmp_path_factory.mktemp("token")
    tokens = TokenServer(workdir, {USER: PASSWORD}).start()
    registry = Distribution(workdir, tokens.distribution_auth()).start()
    registry.tokens = tokens
    yield registry
    registry.stop()
    tokens.stop()


def push_token(registry: Distribution, repo: str) -> str:
    token = registry.tokens.issue(USER, [{"type": "repository", "name": repo, "actions": ["pull", "push"]}])
    return f"Bearer {token}"


@pytest.fixture
def repo() -> str:
    return f"team/app-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def kubectl_secret(tmp_path: Path):
    """Write a pull Secret exactly as ``kubectl create secret docker-registry`` makes it."""
    if shutil.which("kubectl") is None:
        pytest.fail("kubectl is not installed")

    def make(name: str, server: str, username: str = USER, password: str = PASSWORD, *extra: str) -> Path:
        out = subprocess.run(["kubectl", "create", "secret", "docker-registry", name, f"--docker-server={server}",
                              f"--docker-username={username}", f"--docker-password={password}", *extra,
                              "--dry-run=client", "-o", "yaml"], check=True, capture_output=True, text=True).stdout
        path = tmp_path / f"{name}-{uuid.uuid4().hex[:6]}.yaml"
        path.write_text(out)
        return path

    return make
