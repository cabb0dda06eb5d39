"""containerd's own client, ``ctr`` (containerd 1.6), against Berth over plain HTTP: pulls with
credentials, an all-platforms pull of an index, a push, and refusals on a private project.

Its resolver HEADs the tag, then GETs by digest; its token fetch tries the OAuth2 POST first.
"""
from __future__ import annotations

import platform
import uuid

import pytest

from tests.conftest import ADMIN
from tests.support.admin import add_project
from tests.support.client import RegistryClient
from tests.support.containerd import Containerd
from tests.support.images import make_image, make_index
from tests.support.server import BerthServer

PROJECT = "vault"
USER = f"{ADMIN[0]}:{ADMIN[1]}"
ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
OTHER_ARCH = "s390x"


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """A server whose project ``vault`` is private."""
    server = BerthServer(tmp_path_factory.mktemp("ctr-berth") / "data").start()
    add_project(server, PROJECT)
    yield server
    server.stop()


@pytest.fixture
def admin(registry) -> RegistryClient:
    return RegistryClient(registry.url, ADMIN)


def _repo() -> str:
    return f"{PROJECT}/app{uuid.uuid4().hex[:8]}"


def _content(ctr: Containerd) -> set[str]:
    return set(ctr.ctr("content", "ls", "-q").stdout.split())


def _images(ctr: Containerd) -> dict[str, str]:
    """Local image name → digest of its top manifest."""
    rows = [line.split() for line in ctr.ctr("images", "ls").stdout.splitlines()[1:]]
    return {row[0]: row[2] for row in rows}


def _complete(ctr: Containerd, ref: str) -> bool:
    check = ctr.ctr("images", "check", f"name=={ref}").stdout
    return "complete" in check and "incomplete" not in check


def test_pull_with_credentials(containerd, registry, admin):
    repo = _repo()
    image = make_image(layers=2, arch=ARCH)
    admin.push_image(repo, image, "v1")
    ref = f"{registry.host}/{repo}:v1"
    pull = containerd.ctr("images", "pull", "--plain-http", "--user", USER, ref)
    assert f"unpacking linux/{ARCH}" in pull.stdout
    assert _images(containerd)[ref] == image.digest
    assert set(image.blobs) | {image.digest} <= _content(containerd)
    assert _complete(containerd, ref)


def test_all_platforms_pull_of_an_index(containerd, registry, admin):
    repo = _repo()
    index = make_index(platforms=[("linux", ARCH), ("linux", OTHER_ARCH)])
    admin.push_index(repo, index, "multi")
    ref = f"{registry.host}/{repo}:multi"
    here, other = index.images
    containerd.ctr("images", "pull", "--plain-http", "--user", USER, ref)
    assert {index.digest, here.digest, *here.blobs} <= _content(containerd)
    assert not {other.digest, *other.blobs} & _content(containerd)  # only this machine's platform
    containerd.ctr("images", "pull", "--plain-http", "--user", USER, "--all-platforms", ref)
    assert {index.digest, here.digest, other.digest, *here.blobs, *other.blobs} <= _content(containerd)
    assert _images(containerd)[ref] == index.digest
    assert _complete(containerd, ref)


def test_push_then_pull_back(containerd, registry, admin):
    source, target = _repo(), _repo()
    image = make_image(layers=2, arch=ARCH)
    admin.push_image(source, image, "v1")
    pulled, pushed = f"{registry.host}/{source}:v1", f"{registry.host}/{target}:v2"
    containerd.ctr("images", "pull", "--plain-http", "--user", USER, pulled)
    containerd.ctr("images", "tag", pulled, pushed)
    refused = containerd.ctr("images", "push", "--plain-http", pushed, check=False)
    assert refused.returncode != 0 and "authorization failed" in refused.stderr, refused.stderr
    assert admin.get(f"/v2/{target}/manifests/v2").status_code == 404
    containerd.ctr("images", "push", "--plain-http", "--user", USER, pushed)
    stored = admin.get(f"/v2/{target}/manifests/v2", headers={"Accept": image.media_type})
    assert stored.status_code == 200 and stored.content == image.manifest
    for digest, data in image.blobs.items():
        assert admin.get(f"/v2/{target}/blobs/{digest}").content == data
    containerd.ctr("images", "rm", "--sync", pulled, pushed)
    containerd.ctr("images", "pull", "--plain-http", "--user", USER, pushed)
    assert _images(containerd)[pushed] == image.digest


def test_private_project_refuses_without_credentials(containerd, registry, admin):
    repo = _repo()
    admin.push_image(repo, make_image(layers=1, arch=ARCH), "v1")
    ref = f"{registry.host}/{repo}:v1"
    anonymous = containerd.ctr("images", "pull", "--plain-http", ref, check=False)
    assert anonymous.returncode != 0
    assert "pull access denied" in anonymous.stderr, anonymous.stderr
    wrong = containerd.ctr("images", "pull", "--plain-http", "--user", f"{ADMIN[0]}:not-the-password", ref,
                           check=False)
    assert wrong.returncode != 0 and "401" in wrong.stderr, wrong.stderr
    assert ref not in _images(containerd)
