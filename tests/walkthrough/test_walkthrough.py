"""The walkthrough end to end against a real Berth: a private project, ``nginx:111`` pushed,
a pull Secret made by kubectl, and the node agent running the Deployment and Pods.
"""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.clients.skopeo import Skopeo
from tests.conftest import ADMIN
from tests.support.admin import add_project
from tests.support.client import RegistryClient
from tests.support.images import make_image, write_oci_layout
from tests.walkthrough.agent import DEPLOYMENT, deployment_for, events, run_agent

PULL_SECRETS = "      imagePullSecrets:\n      - name: harbor-pull-secret\n"

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  imagePullSecrets:
  - name: harbor-pull-secret
{init}  containers:
  - name: app
    image: {image}
    imagePullPolicy: {policy}
"""


def _secret(host: str, path: Path) -> Path:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl is needed to make the pull Secret as the walkthrough does")
    yaml_text = subprocess.run(
        [kubectl, "create", "secret", "docker-registry", "harbor-pull-secret", f"--docker-server={host}",
         f"--docker-username={ADMIN[0]}", f"--docker-password={ADMIN[1]}", "--dry-run=client", "-o", "yaml"],
        capture_output=True, text=True, check=True).stdout
    path.write_text(yaml_text)
    return path


def _pull_count(server, repo: str) -> int:
    time.sleep(1.5)  # counters are flushed every second in this test server
    with sqlite3.connect(server.data_dir / "berth.db") as db:
        row = db.execute("SELECT pull_count FROM repositories WHERE name = ?", (repo,)).fetchone()
    return row[0] if row else 0


@pytest.fixture
def registry(fresh_berth, tmp_path):
    server = fresh_berth(settings={"pulls": {"flush_interval": 1}})
    add_project(server, "gxs-project")
    skopeo = Skopeo(tmp_path / "skopeo", ADMIN)
    for tag in ("111", "latest"):
        layout = write_oci_layout(tmp_path / f"img-{tag}", make_image(layers=2), tag)
        skopeo.copy(f"oci:{layout}:{tag}", f"docker://{server.host}/gxs-project/nginx:{tag}")
    return server


def test_deployment_with_pull_secret_pulls_once(registry, tmp_path):
    image = f"{registry.host}/gxs-project/nginx:111"
    manifest = tmp_path / "nginx-deployment.yaml"
    assert image.startswith(registry.host)
    manifest.write_text(deployment_for(registry.host))
    before = _pull_count(registry, "gxs-project/nginx")
    secret = _secret(registry.host, tmp_path / "s.yaml")
    code, report = run_agent(tmp_path / "node", str(manifest), "--secret", str(secret))
    assert code == 0, report
    assert len(report["pods"]) == 2 and all(p["status"] == "ImagesReady" for p in report["pods"])
    reasons = [r for r, _ in events(report)]
    assert reasons.count("Pulled") == 2
    messages = [m for _, m in events(report)]
    assert sum(m.startswith("Successfully pulled image") for m in messages) == 1
    assert sum("already present on machine" in m for m in messages) == 1
    assert _pull_count(registry, "gxs-project/nginx") == before + 1


def test_deployment_without_secret_backs_off(registry, tmp_path):
    manifest = tmp_path / "nginx-deployment.yaml"
    assert PULL_SECRETS in DEPLOYMENT
    manifest.write_text(deployment_for(registry.host).replace(PULL_SECRETS, ""))
    code, report = run_agent(tmp_path / "node", str(manifest))
    assert code == 1
    reasons = [r for r, _ in events(report)]
    assert "Failed" in reasons and "BackOff" in reasons
    failed = [m for r, m in events(report) if r == "Failed"]
    assert any("ErrImagePull" in m or "unauthorized" in m.lower() for m in failed)
    assert any("ImagePullBackOff" in m for m in failed)
    assert _pull_count(registry, "gxs-project/nginx") == 0


def test_latest_with_always_pulls_every_time(registry, tmp_path):
    pod = tmp_path / "pod.yaml"
    pod.write_text(POD.format(name="always", image=f"{registry.host}/gxs-project/nginx:latest", policy="Always", init=""))
    secret = _secret(registry.host, tmp_path / "s.yaml")
    for _ in range(2):
        code, report = run_agent(tmp_path / "node", str(pod), "--secret", str(secret))
        assert code == 0
        assert any(m.startswith("Successfully pulled image") for _, m in events(report))
    assert _pull_count(registry, "gxs-project/nginx") == 2


def test_never_with_image_absent(registry, tmp_path):
    pod = tmp_path / "pod.yaml"
    pod.write_text(POD.format(name="never", image=f"{registry.host}/gxs-project/nginx:111", policy="Never", init=""))
    code, report = run_agent(tmp_path / "node", str(pod))
    assert code == 1
    assert report["pods"][0]["containers"][0]["reason"] == "ErrImageNeverPull"


def test_init_containers_pull_in_order(registry, tmp_path):
    init = (f"  initContainers:\n  - name: first\n    image: {registry.host}/gxs-project/nginx:111\n"
            f"  - name: second\n    image: {registry.host}/gxs-project/nginx:latest\n")
    pod = tmp_path / "pod.yaml"
    pod.write_text(POD.format(name="inits", image=f"{registry.host}/gxs-project/nginx:111", policy="IfNotPresent",
                              init=init))
    code, report = run_agent(tmp_path / "node", str(pod), "--secret", str(_secret(registry.host, tmp_path / "s.yaml")))
    assert code == 0, report
    pulling = [m for r, m in events(report) if r == "Pulling"]
    assert pulling == [f'Pulling image "{registry.host}/gxs-project/nginx:111"',
                       f'Pulling image "{registry.host}/gxs-project/nginx:latest"']


def test_corrupted_blob_is_rejected(registry, tmp_path):
    manifest = RegistryClient(registry.url, ADMIN).get("/v2/gxs-project/nginx/manifests/111").json()
    hex_digest = manifest["layers"][0]["digest"].split(":")[1]
    layer = registry.data_dir / "blobs" / "sha256" / hex_digest[:2] / hex_digest
    data = bytearray(layer.read_bytes())
    data[100] ^= 0xFF
    layer.write_bytes(bytes(data))
    pod = tmp_path / "pod.yaml"
    pod.write_text(POD.format(name="corrupt", image=f"{registry.host}/gxs-project/nginx:111", policy="IfNotPresent",
                              init=""))
    state = tmp_path / "node"
    code, report = run_agent(state, str(pod), "--secret", str(_secret(registry.host, tmp_path / "s.yaml")))
    assert code == 1
    assert any("digest" in m.lower() for r, m in events(report) if r == "Failed")
    stored = [p for p in (state / "images" / "blobs" / "sha256").glob("*")] if (state / "images").exists() else []
    assert all(p.name != layer.name for p in stored)
