"""The walkthrough's Harbor part word for word with the real docker: a private project,
``docker login -u admin -p … http://HOST``, ``docker tag nginx:1.14 HOST/gxs-project/nginx:111``,
``docker push``, ``cat ~/.docker/config.json | base64 -w 0`` pasted into the Secret
``harbor-pull-secret`` of type ``kubernetes.io/dockerconfigjson``, ``docker rmi``, then the
node agent runs the Deployment with ``imagePullSecrets`` and the pull count goes up.
"""
from __future__ import annotations

import base64
import json
import subprocess

import pytest
import requests

from tests.api.conftest import wait_for
from tests.conftest import ADMIN
from tests.support.admin import add_project
from tests.walkthrough.agent import deployment_for, events, run_agent

SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: harbor-pull-secret
data:
  .dockerconfigjson: {config}
type: kubernetes.io/dockerconfigjson
"""


@pytest.fixture
def registry(fresh_berth):
    server = fresh_berth(settings={"pulls": {"flush_interval": 1}})
    add_project(server, "gxs-project")
    return server


def _pull_count(server) -> int:
    response = requests.get(f"{server.url}/api/v2.0/projects/gxs-project/repositories/nginx", auth=ADMIN, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["pull_count"]


def test_docker_push_then_deployment_pulls_with_the_secret(dockerd, registry, tmp_path):
    docker = dockerd.cli(tmp_path / "root-docker")
    host = registry.host
    login = docker("login", "-u", ADMIN[0], "-p", ADMIN[1], f"http://{host}")
    assert "Login Succeeded" in login.stdout
    image_id = docker.build("nginx:1.14", tmp_path)
    docker("tag", "nginx:1.14", f"{host}/gxs-project/nginx:111")
    assert {"nginx:1.14", f"{host}/gxs-project/nginx:111"} <= docker.images()
    push = docker("push", f"{host}/gxs-project/nginx:111")
    assert "111: digest: sha256:" in push.stdout

    # cat /root/.docker/config.json | base64 -w 0, pasted into harbor-pull-secret.yaml
    encoded = subprocess.run(["base64", "-w", "0", str(docker.config_json)], capture_output=True, text=True,
                             check=True, timeout=10).stdout
    assert "\n" not in encoded
    auth = json.loads(base64.b64decode(encoded))["auths"][host]
    assert base64.b64decode(auth["auth"]).decode() == f"{ADMIN[0]}:{ADMIN[1]}"  # the password, not "admin:"
    assert "identitytoken" not in auth
    secret = tmp_path / "harbor-pull-secret.yaml"
    secret.write_text(SECRET.format(config=encoded))

    docker("rmi", "-f", "nginx:1.14")
    docker("rmi", "-f", f"{host}/gxs-project/nginx:111")
    assert not docker.images() & {"nginx:1.14", f"{host}/gxs-project/nginx:111"}

    manifest = tmp_path / "nginx-deployment.yaml"
    manifest.write_text(deployment_for(host))
    daemon_json = tmp_path / "daemon.json"
    daemon_json.write_text(json.dumps({"insecure-registries": [host]}))
    before = _pull_count(registry)
    code, report = run_agent(tmp_path / "node", str(manifest), "--secret", str(secret),
                             "--daemon-json", str(daemon_json))
    assert code == 0, report
    assert len(report["pods"]) == 2 and all(p["status"] == "ImagesReady" for p in report["pods"]), report
    messages = [m for _, m in events(report)]
    assert sum(m.startswith("Successfully pulled image") for m in messages) == 1, messages
    assert sum("already present on machine" in m for m in messages) == 1, messages
    assert {c["imageID"] for p in report["pods"] for c in p["containers"]} == {image_id}
    # Refresh the Harbor page: the number of downloads went up by the one pull.
    assert wait_for(lambda: _pull_count(registry) == before + 1), _pull_count(registry)
