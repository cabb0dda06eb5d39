"""The transparent mirror listener: names without a project, the upstream chosen by containerd's
``ns`` or, without it, the docker-hub proxy-cache project; anonymous, pulls only, public projects."""
from __future__ import annotations

import json
import uuid

import pytest
import requests

from registry.agent import ContentStore, Puller, load_daemon_config
from tests.api.conftest import Api
from tests.conftest import ADMIN
from tests.proxy.conftest import make_proxy_project, proxy_settings
from tests.support.client import RegistryClient, error_codes
from tests.support.images import OCI_INDEX, OCI_MANIFEST, make_image, sha256
from tests.support.server import BerthServer, free_port
from tests.walkthrough.agent import DEPLOYMENT, events, run_agent

ACCEPT = {"Accept": f"{OCI_MANIFEST}, {OCI_INDEX}"}


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    """A Berth with the mirror on; its docker-hub project stands in front of the Distribution upstream."""
    port = free_port()
    server = BerthServer(tmp_path_factory.mktemp("mirror") / "data",
                         settings={**proxy_settings(), "mirror": {"port": port}}).start()
    server.mirror_url = f"http://127.0.0.1:{port}"
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mirror_api(mirror) -> Api:
    return Api(mirror.url, ADMIN)


@pytest.fixture(scope="module")
def hub_project(mirror_api, upstream) -> str:
    return make_proxy_project(mirror_api, upstream.url, kind="docker-hub")


def _pull(url: str, name: str, reference: str, **params) -> bytes:
    manifest = requests.get(f"{url}/v2/{name}/manifests/{reference}", headers=ACCEPT, params=params, timeout=30)
    assert manifest.status_code == 200, manifest.text
    for d in [manifest.json()["config"], *manifest.json()["layers"]]:
        blob = requests.get(f"{url}/v2/{name}/blobs/{d['digest']}", params=params, timeout=30)
        assert blob.status_code == 200 and sha256(blob.content) == d["digest"]
    return manifest.content


def test_without_ns_the_docker_hub_project_answers_anonymously(mirror, hub_project, upstream):
    image = make_image(layers=1)
    upstream.client.push_image("library/hello", image, "v1")
    assert requests.get(f"{mirror.mirror_url}/v2/", timeout=10).status_code == 200
    assert _pull(mirror.mirror_url, "library/hello", "v1") == image.manifest
    # The same content under the project's name on the main port, and a one-segment name meaning library/.
    berth = RegistryClient(mirror.url, ADMIN)
    assert berth.get(f"/v2/{hub_project}/library/hello/manifests/v1", headers=ACCEPT).content == image.manifest
    assert berth.get(f"/v2/{hub_project}/hello/manifests/v1", headers=ACCEPT).content == image.manifest


def test_ns_picks_the_project_of_that_upstream_host(mirror, mirror_api, hub_project, upstream):
    image = make_image(layers=1)
    upstream.client.push_image("team/tool", image, "v2")
    make_proxy_project(mirror_api, upstream.url)
    host = upstream.url.removeprefix("http://")
    assert _pull(mirror.mirror_url, "team/tool", "v2", ns=host) == image.manifest
    unknown = requests.get(f"{mirror.mirror_url}/v2/team/tool/manifests/v2", params={"ns": "quay.io"}, timeout=10)
    assert unknown.status_code == 404 and error_codes(unknown) == ["NAME_UNKNOWN"]


def test_private_projects_are_not_mirrored_and_pushes_are_refused(mirror, mirror_api, upstream):
    make_proxy_project(mirror_api, "http://localhost:9", public=False)
    refused = requests.get(f"{mirror.mirror_url}/v2/x/manifests/v1", params={"ns": "localhost:9"}, timeout=10)
    assert refused.status_code == 404 and error_codes(refused) == ["NAME_UNKNOWN"]
    push = requests.post(f"{mirror.mirror_url}/v2/library/hello/blobs/uploads/", timeout=10)
    assert push.status_code == 405 and error_codes(push) == ["UNSUPPORTED"]


async def test_the_node_agent_pulls_a_one_segment_name_through_registry_mirrors(tmp_path, mirror, hub_project,
                                                                                 upstream):
    """``berth agent`` with the walkthrough's daemon.json pointing at the mirror (Docker Hub itself a closed port)."""
    name = f"web-{uuid.uuid4().hex[:8]}"
    image = make_image(layers=1)
    upstream.client.push_image(f"library/{name}", image, "1.14")
    daemon_json = tmp_path / "daemon.json"
    daemon_json.write_text(json.dumps({"registry-mirrors": [mirror.mirror_url],
                                       "insecure-registries": [mirror.mirror_url.removeprefix("http://")]}))
    closed = f"http://127.0.0.1:{free_port()}"
    async with Puller(ContentStore(tmp_path / "state"), daemon=load_daemon_config(str(daemon_json)),
                      docker_hub=closed) as puller:
        result = await puller.pull(f"{name}:1.14")
    assert result.record.name == f"docker.io/library/{name}:1.14"
    assert f"/v2/library/{name}/manifests/1.14 HTTP" in mirror.log()


def test_berth_agent_run_pulls_a_public_deployment_through_the_daemon_json_mirror(tmp_path, mirror, hub_project,
                                                                                  upstream):
    """The command line, as a node runs it: a Deployment of ``<name>:1.14`` and a daemon.json with the mirror."""
    name = f"nginx-{uuid.uuid4().hex[:8]}"
    upstream.client.push_image(f"library/{name}", make_image(layers=1), "1.14")
    (tmp_path / "daemon.json").write_text(json.dumps({"registry-mirrors": [mirror.mirror_url]}))
    (tmp_path / "deployment.yaml").write_text(
        DEPLOYMENT.replace("192.168.30.15/gxs-project/nginx:111", f"{name}:1.14")
        .replace("      imagePullSecrets:\n      - name: harbor-pull-secret\n", ""))
    code, report = run_agent(tmp_path / "node", str(tmp_path / "deployment.yaml"),
                             "--daemon-json", str(tmp_path / "daemon.json"),
                             "--docker-hub-endpoint", f"http://127.0.0.1:{free_port()}")  # Docker Hub: closed
    assert code == 0, report
    assert ("Pulled", f'Successfully pulled image "{name}:1.14"') in [
        (reason, message.split(" in ")[0]) for reason, message in events(report)]
    assert f"/v2/library/{name}/manifests/1.14 HTTP" in mirror.log()
