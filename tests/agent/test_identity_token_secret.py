"""What the node agent says about a pull Secret made from a ``config.json`` that holds only an
identity token (what ``docker login`` writes when a token service hands it a refresh token).
That ``docker login`` against Berth keeps the password, so that its Secret pulls, is shown with
real docker in tests/clients/test_docker.py and tests/walkthrough/test_docker_walkthrough.py."""
from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import ADMIN
from tests.support.admin import add_project
from tests.support.client import RegistryClient
from tests.support.images import make_image
from tests.support.server import ROOT, free_port

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  imagePullSecrets:
  - name: regcred
  containers:
  - name: app
    image: {image}
"""


@pytest.fixture
def registry(fresh_berth):
    server = fresh_berth(port=free_port())
    add_project(server, "team")  # private
    RegistryClient(server.url, ADMIN).push_image("team/web", make_image(layers=1), "v1")
    return server


def _secret_from_file(config_json: Path, out: Path) -> Path:
    """``kubectl create secret generic regcred --from-file=.dockerconfigjson=… --type=…dockerconfigjson``."""
    if shutil.which("kubectl") is None:
        pytest.fail("kubectl is needed to make the Secret as the Kubernetes documentation does")
    yaml_text = subprocess.run(
        ["kubectl", "create", "secret", "generic", "regcred", f"--from-file=.dockerconfigjson={config_json}",
         "--type=kubernetes.io/dockerconfigjson", "--dry-run=client", "-o", "yaml"],
        capture_output=True, text=True, check=True).stdout
    out.write_text(yaml_text)
    return out


def _agent_run(tmp_path: Path, image: str, secret: Path) -> tuple[int, dict]:
    pod = tmp_path / "pod.yaml"
    pod.write_text(POD.format(image=image))
    result = subprocess.run([sys.executable, "-m", "registry", "agent", "run", "--state", str(tmp_path / "node"),
                             "--json", "--quiet", "--fast-backoff", "1000", "--attempts", "1", str(pod),
                             "--secret", str(secret)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def test_a_secret_holding_only_an_identity_token_is_explained(registry, tmp_path):
    """What docker writes when a token service hands it a refresh token: the user and no password."""
    refresh = requests.post(f"{registry.url}/service/token", timeout=10, data={
        "grant_type": "password", "username": ADMIN[0], "password": ADMIN[1], "service": "harbor-registry",
        "client_id": "docker", "access_type": "offline"}).json()["refresh_token"]
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"auths": {registry.host: {
        "auth": base64.b64encode(f"{ADMIN[0]}:".encode()).decode(), "identitytoken": refresh}}}))
    code, report = _agent_run(tmp_path, f"{registry.host}/team/web:v1",
                              _secret_from_file(config, tmp_path / "regcred.yaml"))
    assert code == 1
    assert report["pods"][0]["containers"][0]["reason"] == "ImagePullBackOff"
    failed = [e["message"] for e in report["pods"][0]["events"] if e["reason"] == "Failed"]
    explained = [m for m in failed if "identity token" in m]
    assert len(explained) == 1, failed
    message = explained[0]
    assert message.startswith(f'Failed to pull image "{registry.host}/team/web:v1": ')
    assert "401" in message
    assert f"the credentials for {registry.host} in secret default/regcred hold only an identity token" in message
    assert (f"kubectl create secret docker-registry regcred --docker-server={registry.host} "
            f"--docker-username={ADMIN[0]} --docker-password=<password>") in message
