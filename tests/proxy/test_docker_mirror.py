"""The walkthrough's daemon.json with Berth as its mirror: a real dockerd with ``registry-mirrors``
pulls a one-segment Docker Hub name (``hello-…:v1``), served by the docker-hub proxy-cache project.

Docker falls back to Docker Hub when a mirror fails; the daemon here has a closed loopback port as
its HTTP(S) proxy (loopback itself is never proxied), so that fallback cannot leave the machine
and the pull can only succeed through Berth.
"""
from __future__ import annotations

import uuid

import pytest

from tests.api.conftest import Api
from tests.conftest import ADMIN
from tests.proxy.conftest import make_proxy_project, proxy_settings
from tests.support.dockerd import DockerDaemon
from tests.support.images import make_image
from tests.support.server import BerthServer, free_port

NO_WAY_OUT = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    port = free_port()
    server = BerthServer(tmp_path_factory.mktemp("docker-mirror") / "data",
                         settings={**proxy_settings(), "mirror": {"port": port}}).start()
    server.mirror_host = f"127.0.0.1:{port}"
    yield server
    server.stop()


@pytest.fixture(scope="module")
def docker_with_mirror(mirror):
    daemon = DockerDaemon(settings={"registry-mirrors": [f"http://{mirror.mirror_host}"],
                                    "insecure-registries": [mirror.mirror_host]}, env=NO_WAY_OUT).start()
    yield daemon
    daemon.stop()


def test_docker_pulls_a_one_segment_name_through_the_mirror(tmp_path, mirror, upstream, docker_with_mirror):
    make_proxy_project(Api(mirror.url, ADMIN), upstream.url, kind="docker-hub")
    name = f"hello-{uuid.uuid4().hex[:8]}"
    image = make_image(layers=2, docker=True)
    upstream.client.push_image(f"library/{name}", image, "1.14")
    docker = docker_with_mirror.cli(tmp_path / "docker")
    docker("pull", f"{name}:1.14", timeout=120)
    assert f"{name}:1.14" in docker.images()
    assert f"/v2/library/{name}/manifests/1.14 HTTP" in mirror.log()  # served by the mirror, no ns
    # Pulled again after removal: the cached copy is served (by digest, no new upstream fetch).
    docker("rmi", f"{name}:1.14")
    docker("pull", f"{name}@{image.digest}", timeout=120)
