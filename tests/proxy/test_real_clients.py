"""Real clients through Berth's proxy cache: skopeo through ``<project>/<repository>`` from a
second Berth (type harbor, token auth), ``registries.conf`` mirrors for skopeo and podman, and containerd's
``ctr --hosts-dir`` with one ``_default/hosts.toml`` reaching both upstreams through the mirror with ``ns``."""
from __future__ import annotations

import json
import shutil
from urllib.parse import unquote

import pytest

from tests.api.conftest import Api
from tests.clients.podman import Podman
from tests.clients.skopeo import Skopeo
from tests.conftest import ADMIN
from tests.proxy.conftest import make_proxy_project, proxy_settings
from tests.support.admin import add_project
from tests.support.client import RegistryClient
from tests.support.containerd import containerd  # noqa: F401  (module fixture)
from tests.support.images import make_image
from tests.support.server import BerthServer, free_port


@pytest.fixture(scope="module")
def upstream_berth(tmp_path_factory):
    """A second Berth with token auth, standing in for a Harbor upstream; its project ``lib`` is private."""
    server = BerthServer(tmp_path_factory.mktemp("upstream-berth") / "data").start()
    add_project(server, "lib")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    port = free_port()
    server = BerthServer(tmp_path_factory.mktemp("mirror-clients") / "data",
                         settings={**proxy_settings(), "mirror": {"port": port}}).start()
    server.mirror_host = f"127.0.0.1:{port}"
    yield server
    server.stop()


@pytest.fixture(scope="module")
def api(mirror) -> Api:
    return Api(mirror.url, ADMIN)


@pytest.fixture(scope="module")
def harbor_project(api, upstream_berth) -> str:
    return make_proxy_project(api, upstream_berth.url, kind="harbor", login=ADMIN)


@pytest.fixture(scope="module")
def registry_project(api, upstream) -> str:
    return make_proxy_project(api, upstream.url)


def test_skopeo_through_a_harbor_type_proxy_project(tmp_path, mirror, upstream_berth, harbor_project):
    image = make_image(layers=2)
    RegistryClient(upstream_berth.url, ADMIN).push_image("lib/app", image, "v1")
    skopeo = Skopeo(tmp_path / "skopeo", ADMIN)
    skopeo.copy(f"docker://{mirror.host}/{harbor_project}/lib/app:v1", f"oci:{tmp_path / 'layout'}:v1")
    index = json.loads((tmp_path / "layout" / "index.json").read_text())
    assert index["manifests"][0]["digest"] == image.digest


def test_skopeo_with_a_registries_conf_mirror(tmp_path, mirror, upstream, registry_project):
    """containers/image clients (podman, CRI-O, skopeo) mirror through a location with the project as prefix."""
    image = make_image(layers=1)
    upstream.client.push_image("conf/app", image, "v1")
    skopeo = Skopeo(tmp_path / "skopeo", None)
    (skopeo.home / "registries.conf").write_text(
        f'[[registry]]\nlocation = "{upstream.host}"\n\n'
        f'[[registry.mirror]]\nlocation = "{mirror.host}/{registry_project}"\ninsecure = true\n')
    skopeo.run("--registries-conf", str(skopeo.home / "registries.conf"), "copy", "--src-tls-verify=false",
               f"docker://{upstream.host}/conf/app:v1", f"oci:{tmp_path / 'layout'}:v1")
    index = json.loads((tmp_path / "layout" / "index.json").read_text())
    assert index["manifests"][0]["digest"] == image.digest
    assert f"/v2/{registry_project}/conf/app/manifests/v1" in mirror.log()  # served by the mirror


def test_podman_with_a_registries_conf_mirror(tmp_path, mirror, upstream, registry_project):
    """podman pulls an upstream name through the mirror its registries.conf names.

    The upstream asks for a login podman does not have, so the pull can only succeed
    through Berth, which holds the endpoint's credentials."""
    image = make_image(layers=2)
    upstream.client.push_image("conf/pod", image, "v1")
    podman = Podman(tmp_path / "podman")
    conf = tmp_path / "registries.conf"
    conf.write_text(f'[[registry]]\nlocation = "{upstream.host}"\ninsecure = true\n\n'
                    f'[[registry.mirror]]\nlocation = "{mirror.host}/{registry_project}"\ninsecure = true\n')
    podman.env["CONTAINERS_REGISTRIES_CONF"] = str(conf)
    podman("pull", f"{upstream.host}/conf/pod:v1")
    digest = podman("image", "inspect", "--format", "{{.Digest}}", f"{upstream.host}/conf/pod:v1").stdout.strip()
    assert digest == image.digest
    assert f"/v2/{registry_project}/conf/pod/manifests/v1" in mirror.log()
    podman("rmi", "-a", "-f")
    conf.write_text(f'[[registry]]\nlocation = "{upstream.host}"\ninsecure = true\n')  # no mirror: refused
    direct = podman("pull", f"{upstream.host}/conf/pod:v1", check=False)
    assert direct.returncode != 0 and "unauthorized" in direct.stderr.lower(), direct.stderr
    shutil.rmtree(podman.runroot, ignore_errors=True)


def test_containerd_pulls_both_upstreams_through_the_mirror_with_ns(tmp_path, containerd, mirror, upstream,  # noqa: F811
                                                                     upstream_berth, harbor_project,
                                                                     registry_project, api):
    public = api.put(f"/projects/{harbor_project}", json={"metadata": {"public": "true"}})
    assert public.status_code == 200
    first, second = make_image(layers=1), make_image(layers=1)
    upstream.client.push_image("ctr/app", first, "v1")
    RegistryClient(upstream_berth.url, ADMIN).push_image("lib/ctr", second, "v1")
    hosts = tmp_path / "certs.d" / "_default"
    hosts.mkdir(parents=True)
    # No fallback: "server" is a closed port, so every pull below is the mirror's doing.
    (hosts / "hosts.toml").write_text(
        'server = "http://127.0.0.1:9"\n\n'
        f'[host."http://{mirror.mirror_host}"]\n  capabilities = ["pull", "resolve"]\n')
    for ref in (f"{upstream.host}/ctr/app:v1", f"{upstream_berth.host}/lib/ctr:v1"):
        containerd.ctr("images", "pull", "--hosts-dir", str(tmp_path / "certs.d"), ref, timeout=120)
    listed = containerd.ctr("images", "ls").stdout
    assert first.digest in listed and second.digest in listed
    log = unquote(mirror.log())  # the access log may show the query decoded or not
    assert f"ns={upstream.host}" in log and f"ns={upstream_berth.host}" in log
