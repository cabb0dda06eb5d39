"""``berth agent`` commands end to end against a real registry, plus mirrors and
trying several credentials."""
from __future__ import annotations

import base64
import json
import subprocess
import sys

from registry.agent import (ContentStore, DaemonConfig, NodeAgent, Puller, SecretPool, load_documents,
                            pods_from_document)
from registry.oci.reference import ImageReference
from tests.agent.conftest import PASSWORD, USER
from tests.agent.images import Pusher, make_image
from tests.agent.registries import free_port


def agent(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "registry.agent", *args], capture_output=True, text=True)


async def test_run_json_images_and_rmi(basic_registry, repo, kubectl_secret, tmp_path):
    image = await Pusher(basic_registry.url, basic_registry.push_authorization).push(repo, "111", make_image())
    ref = f"{basic_registry.host}/{repo}:111"
    manifest = tmp_path / "nginx-deployment.yaml"
    manifest.write_text(f"""apiVersion: extensions/v1beta1
kind: Deployment
metadata: {{name: my-nginx}}
spec:
  replicas: 2
  template:
    spec:
      imagePullSecrets: [{{name: harbor-pull-secret}}]
      containers: [{{name: my-nginx, image: "{ref}"}}]
---
kind: Pod
apiVersion: v1
metadata: {{name: private-image-test-1}}
spec:
  containers: [{{name: uses-private-image, image: "{basic_registry.host}/{repo}:nope", imagePullPolicy: Always}}]
""")
    secret = kubectl_secret("harbor-pull-secret", basic_registry.host)
    daemon = tmp_path / "daemon.json"
    daemon.write_text(json.dumps({"insecure-registries": [basic_registry.host]}))
    state = str(tmp_path / "state")
    done = agent("run", str(manifest), "--secret", str(secret), "--daemon-json", str(daemon), "--state", state,
                 "--platform", "linux/amd64", "--json", "--fast-backoff", "500", "--attempts", "2")
    assert done.returncode == 1, done.stderr  # the third pod's image does not exist
    pods = json.loads(done.stdout)["pods"]
    assert [p["status"] for p in pods] == ["ImagesReady", "ImagesReady", "ImagePullBackOff"]
    assert [e["reason"] for e in pods[0]["events"]] == ["Pulling", "Pulled"]
    assert pods[1]["events"][0]["message"] == f'Container image "{ref}" already present on machine'
    assert pods[0]["containers"][0]["imageID"] == image.config_digest
    assert pods[0]["controlledBy"].startswith("ReplicaSet/my-nginx-")
    failed = [e for e in pods[2]["events"] if e["message"].startswith("Failed to pull")]
    assert failed[0]["count"] == 2 and "401 Unauthorized" in failed[0]["message"]  # no imagePullSecrets
    assert "Pulling from " + repo in done.stderr  # docker-pull-style progress
    assert f'Normal   Pulling    pod/{pods[0]["name"]}: Pulling image "{ref}"' in done.stderr  # events as they come

    listed = json.loads(agent("images", "--state", state, "--json").stdout)
    assert [(i["name"], i["imageID"], i["digest"]) for i in listed] == [(ref, image.config_digest, image.digest)]
    table = agent("images", "--state", state).stdout
    assert f"{basic_registry.host}/{repo}" in table and image.config_digest[7:19] in table

    removed = agent("rmi", ref, "--state", state)
    assert removed.returncode == 0 and f"Untagged: {ref}" in removed.stdout
    assert removed.stdout.count("Deleted: sha256:") == 4  # manifest, config, two layers
    assert json.loads(agent("images", "--state", state, "--json").stdout) == []
    assert list((tmp_path / "state" / "images" / "blobs" / "sha256").iterdir()) == []
    missing = agent("rmi", ref, "--state", state)
    assert missing.returncode == 1 and "No such image" in missing.stderr


async def test_pull_command_and_rmi_by_image_id(plain_registry, repo, tmp_path):
    image = await Pusher(plain_registry.url).push(repo, "v1", make_image(layers=1))
    state = str(tmp_path / "state")
    done = agent("pull", f"{plain_registry.host}/{repo}:v1", "--state", state, "--json", "--quiet")
    assert done.returncode == 0 and done.stderr == ""
    assert json.loads(done.stdout)["imageID"] == image.config_digest
    assert agent("rmi", image.config_digest[7:19], "--state", state).returncode == 0
    assert ContentStore(state).records() == []
    bad = agent("pull", f"{plain_registry.host}/{repo}:absent", "--state", state, "--quiet")
    assert bad.returncode == 1 and "manifest unknown" in bad.stderr and "Traceback" not in bad.stderr


async def test_every_matching_credential_is_tried_in_turn(basic_registry, repo, kubectl_secret, tmp_path):
    await Pusher(basic_registry.url, basic_registry.push_authorization).push(repo, "v1", make_image(layers=1))
    wrong = kubectl_secret("wrong", f"{basic_registry.host}/{repo.split('/')[0]}", USER, "not-it")
    right = kubectl_secret("right", basic_registry.host, USER, PASSWORD)
    pool = SecretPool()
    for path in (wrong, right):
        pool.add_documents(load_documents(str(path)))
    pod_file = tmp_path / "pod.yaml"
    pod_file.write_text(f"kind: Pod\nmetadata: {{name: p}}\nspec:\n  imagePullSecrets: [{{name: right}}, "
                        f"{{name: wrong}}]\n  containers: [{{name: c, image: '{basic_registry.host}/{repo}:v1'}}]\n")
    (pod,) = [p for d in load_documents(str(pod_file)) for p in pods_from_document(d)]
    async with NodeAgent(tmp_path / "state", secrets=pool) as node:
        keyring, _ = pool.keyring_for("default", pod.pull_secrets)
        tried = keyring.lookup(ImageReference.parse(pod.containers[0].image))
        assert [c.source for c in tried] == ["secret default/wrong", "secret default/right"]
        result = await node.run_pod(pod)
    assert result.ready and result.events.reasons() == ["Pulling", "Pulled"]


async def test_docker_hub_images_come_from_the_mirror(plain_registry, tmp_path):
    image = await Pusher(plain_registry.url).push("library/busybox", "1.28", make_image(layers=1))
    closed = f"http://127.0.0.1:{free_port()}"  # Docker Hub stand-in that refuses connections
    daemon = DaemonConfig(mirrors=(plain_registry.url,))
    async with Puller(ContentStore(tmp_path / "state"), daemon=daemon, docker_hub=closed) as puller:
        result = await puller.pull("busybox:1.28")
        assert result.record.name == "docker.io/library/busybox:1.28" and result.image_id == image.config_digest
        failure = None
        try:
            await puller.pull("busybox:absent")
        except Exception as exc:  # the mirror lacks it, the registry itself is unreachable
            failure = str(exc)
    assert failure is not None and closed in failure


async def test_pull_with_node_docker_config(basic_registry, repo, tmp_path):
    await Pusher(basic_registry.url, basic_registry.push_authorization).push(repo, "v1", make_image(layers=1))
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"auths": {f"http://{basic_registry.host}": {
        "auth": base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}}}))
    state = str(tmp_path / "state")
    image = f"{basic_registry.host}/{repo}:v1"
    assert agent("pull", image, "--state", state, "--quiet").returncode == 1
    done = agent("pull", image, "--docker-config", str(config), "--state", state, "--quiet")
    assert done.returncode == 0, done.stderr
