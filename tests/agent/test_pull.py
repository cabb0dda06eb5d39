"""Pulls against a real CNCF Distribution on loopback, through the NodeAgent library."""
from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from registry.agent import (DaemonConfig, NodeAgent, Platform, Puller, SecretPool, load_documents,
                            pods_from_document)
from registry.agent.store import ContentStore
from tests.agent.conftest import USER, push_token
from tests.agent.images import Pusher, make_image, sha256
from tests.agent.registries import CuttingProxy

FAST = 200.0  # back-off 50 ms doubling


def pods_of(text: str, tmp_path: Path) -> list:
    path = tmp_path / "workload.yaml"
    path.write_text(text)
    return [pod for doc in load_documents(str(path)) for pod in pods_from_document(doc)]


def secrets_of(*paths: Path) -> SecretPool:
    pool = SecretPool()
    for path in paths:
        pool.add_documents(load_documents(str(path)))
    return pool


def pod_yaml(image: str, policy: str | None = None, secret: str | None = None) -> str:
    lines = ["apiVersion: v1", "kind: Pod", "metadata:", "  name: web", "spec:"]
    if secret:
        lines += ["  imagePullSecrets:", f"  - name: {secret}"]
    lines += ["  containers:", "  - name: web", f"    image: {image}"]
    if policy:
        lines.append(f"    imagePullPolicy: {policy}")
    return "\n".join(lines) + "\n"


def layout_names(state: Path) -> list[str]:
    index = json.loads((state / "images" / "index.json").read_text())
    return [m["annotations"]["io.containerd.image.name"] for m in index["manifests"]]


async def test_deployment_with_secret_pulls_once_for_two_replicas(basic_registry, repo, kubectl_secret, tmp_path):
    image = await Pusher(basic_registry.url, basic_registry.push_authorization).push(repo, "111", make_image())
    secret = kubectl_secret("harbor-pull-secret", basic_registry.host)
    ref = f"{basic_registry.host}/{repo}:111"
    pods = pods_of(f"""
apiVersion: extensions/v1beta1
kind: Deployment
metadata:
  name: my-nginx
spec:
  replicas: 2
  template:
    metadata:
      labels:
        app: my-nginx
    spec:
      imagePullSecrets:
      - name: harbor-pull-secret
      containers:
      - name: my-nginx
        image: {ref}
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: my-nginx
spec:
  type: NodePort
  ports:
  - port: 8888
""", tmp_path)
    assert len(pods) == 2 and pods[0].name.startswith("my-nginx-") and pods[0].name != pods[1].name
    async with NodeAgent(tmp_path / "state", secrets=secrets_of(secret)) as agent:
        first, second = await agent.run(pods)
    assert first.ready and second.ready
    assert first.events.reasons() == ["Pulling", "Pulled"]
    assert first.events.events[1].message.startswith(f'Successfully pulled image "{ref}" in ')
    assert second.events.reasons() == ["Pulled"]
    assert second.events.events[0].message == f'Container image "{ref}" already present on machine'
    assert first.containers[0].image.image_id == image.config_digest
    state = tmp_path / "state"
    assert json.loads((state / "images" / "oci-layout").read_text()) == {"imageLayoutVersion": "1.0.0"}
    assert layout_names(state) == [ref]
    for digest in [image.digest, *image.blobs]:
        assert (state / "images" / "blobs" / "sha256" / digest.split(":")[1]).exists()


async def test_token_flow_uses_the_matching_secret(token_registry, repo, kubectl_secret, tmp_path):
    await Pusher(token_registry.url, push_token(token_registry, repo)).push(repo, "v1", make_image())
    secret = kubectl_secret("regcred", token_registry.host)
    before = len(token_registry.tokens.requests)
    async with NodeAgent(tmp_path / "state", secrets=secrets_of(secret)) as agent:
        result = await agent.run_pod(pods_of(pod_yaml(f"{token_registry.host}/{repo}:v1", secret="regcred"),
                                             tmp_path)[0])
    assert result.ready, result.describe()
    asked = token_registry.tokens.requests[before:]
    assert asked and all(r["user"] == USER and r["ok"] for r in asked)
    assert asked[0]["scope"] == [f"repository:{repo}:pull"] and asked[0]["service"] == "berth-agent-tests"


async def test_anonymous_token_for_a_public_repository(token_registry, tmp_path):
    repo = f"public/app-{uuid.uuid4().hex[:8]}"
    await Pusher(token_registry.url, push_token(token_registry, repo)).push(repo, "v1", make_image(layers=1))
    before = len(token_registry.tokens.requests)
    async with NodeAgent(tmp_path / "state") as agent:
        result = await agent.run_pod(pods_of(pod_yaml(f"{token_registry.host}/{repo}:v1"), tmp_path)[0])
    assert result.ready, result.describe()
    assert [r["user"] for r in token_registry.tokens.requests[before:]] == [""]


def test_https_unless_insecure_or_loopback(tmp_path):
    puller = Puller(ContentStore(tmp_path), daemon=DaemonConfig(insecure_names=frozenset({"harbor.local"})))
    assert puller.endpoint_groups("registry.example.com:5000") == [(["https://registry.example.com:5000"], True)]
    assert puller.endpoint_groups("harbor.local") == [(["https://harbor.local", "http://harbor.local"], False)]
    assert puller.endpoint_groups("127.0.0.1:5000")[0][0][-1] == "http://127.0.0.1:5000"
    assert puller.endpoint_groups("docker.io") == [(["https://registry-1.docker.io"], True)]


@pytest.mark.parametrize("auth", ["basic", "token"])
async def test_without_secret_err_image_pull_then_back_off(auth, basic_registry, token_registry, repo, tmp_path):
    registry = basic_registry if auth == "basic" else token_registry
    authorization = registry.push_authorization if auth == "basic" else push_token(registry, repo)
    await Pusher(registry.url, authorization).push(repo, "v1", make_image(layers=1))
    image = f"{registry.host}/{repo}:v1"
    async with NodeAgent(tmp_path / "state", attempts=2, backoff_scale=FAST) as agent:
        result = await agent.run_pod(pods_of(pod_yaml(image), tmp_path)[0])
    assert not result.ready and result.status == "ImagePullBackOff"
    events = [(e.type, e.reason, e.message, e.count) for e in result.events.events]
    assert [e[1] for e in events] == ["Pulling", "Failed", "Failed", "BackOff", "Failed"]
    assert events[0][3] == 2  # pulled twice, backing off in between
    assert events[1][2].startswith(f'Failed to pull image "{image}": ') and "unauthorized" in events[1][2]
    assert events[2][2] == "Error: ErrImagePull"
    assert events[3] == ("Normal", "BackOff", f'Back-off pulling image "{image}"', 2)
    assert events[4][2] == "Error: ImagePullBackOff"
    assert layout_names(tmp_path / "state") == []


async def test_wrong_password_is_unauthorized(basic_registry, repo, kubectl_secret, tmp_path):
    await Pusher(basic_registry.url, basic_registry.push_authorization).push(repo, "v1", make_image(layers=1))
    secret = kubectl_secret("bad", basic_registry.host, USER, "wrong")
    async with NodeAgent(tmp_path / "state", secrets=secrets_of(secret), attempts=1, backoff_scale=FAST) as agent:
        result = await agent.run_pod(pods_of(pod_yaml(f"{basic_registry.host}/{repo}:v1", secret="bad"), tmp_path)[0])
    assert result.status == "ImagePullBackOff"
    assert "401 Unauthorized" in result.events.events[1].message


async def test_latest_is_pulled_every_time(plain_registry, repo, tmp_path):
    await Pusher(plain_registry.url).push(repo, "latest", make_image())
    pods = pods_of(pod_yaml(f"{plain_registry.host}/{repo}"), tmp_path)
    assert str(pods[0].containers[0].pull_policy) == "Always"
    async with NodeAgent(tmp_path / "state") as agent:
        first = await agent.run_pod(pods[0])
        second = await agent.run_pod(pods_of(pod_yaml(f"{plain_registry.host}/{repo}"), tmp_path)[0])
        again = await agent.runtime.puller.pull(f"{plain_registry.host}/{repo}")
    for result in (first, second):
        assert result.events.reasons() == ["Pulling", "Pulled"]
        assert result.events.events[1].message.startswith("Successfully pulled image")
    assert again.downloaded == 0  # layers were already on the node
    assert plain_registry.log().count(f"GET /v2/{repo}/manifests/latest") >= 3


async def test_never_uses_only_what_is_present(plain_registry, repo, tmp_path):
    await Pusher(plain_registry.url).push(repo, "v1", make_image(layers=1))
    image = f"{plain_registry.host}/{repo}:v1"
    async with NodeAgent(tmp_path / "state") as agent:
        absent = await agent.run_pod(pods_of(pod_yaml(image, "Never"), tmp_path)[0])
        await agent.runtime.puller.pull(image)
        present = await agent.run_pod(pods_of(pod_yaml(image, "Never"), tmp_path)[0])
    assert absent.status == "ErrImageNeverPull"
    assert [(e.reason, e.message) for e in absent.events.events] == [
        ("ErrImageNeverPull", f'Container image "{image}" is not present with pull policy of Never'),
        ("Failed", "Error: ErrImageNeverPull")]
    assert present.ready and present.events.reasons() == ["Pulled"]


async def test_init_containers_in_order_before_app(plain_registry, repo, tmp_path):
    pusher = Pusher(plain_registry.url)
    for tag in ("init1", "init2", "app"):
        await pusher.push(repo, tag, make_image(layers=1, size=4096))
    host = plain_registry.host
    pod = pods_of(f"""
apiVersion: v1
kind: Pod
metadata: {{name: myapp-pod}}
spec:
  containers:
  - {{name: myapp-container, image: "{host}/{repo}:app"}}
  initContainers:
  - {{name: init-myservice, image: "{host}/{repo}:init1"}}
  - {{name: init-mydb, image: "{host}/{repo}:init2"}}
""", tmp_path)[0]
    async with NodeAgent(tmp_path / "state", attempts=1, backoff_scale=FAST) as agent:
        result = await agent.run_pod(pod)
        blocked = await agent.run_pod(pods_of(f"""
kind: Pod
metadata: {{name: blocked}}
spec:
  initContainers: [{{name: first, image: "{host}/{repo}:missing"}}, {{name: second, image: "{host}/{repo}:init2"}}]
  containers: [{{name: app, image: "{host}/{repo}:app"}}]
""", tmp_path)[0])
    pulling = [e.message for e in result.events.events if e.reason == "Pulling"]
    assert pulling == [f'Pulling image "{host}/{repo}:{tag}"' for tag in ("init1", "init2", "app")]
    assert result.ready
    assert blocked.status == "Init:ImagePullBackOff"
    assert [s.image.reason for s in blocked.init_containers[1:] + blocked.containers] == ["PodInitializing"] * 2
    assert all(":missing" in e.message for e in blocked.events.events if e.reason == "Pulling")


@pytest.mark.parametrize("tamper, complaint", [("flip", "unexpected commit digest"), ("grow", "is larger than")])
async def test_corrupted_blob_is_rejected_and_nothing_half_written_kept(tamper, complaint, plain_registry, repo,
                                                                       tmp_path):
    image = await Pusher(plain_registry.url).push(repo, "v1", make_image(layers=2, size=256 * 1024))
    bad = sha256(image.layers[1])
    stored = plain_registry.blob_file(bad)
    data = bytearray(stored.read_bytes())
    if tamper == "flip":
        data[len(data) // 2] ^= 0xFF
    else:
        data += b"trailing garbage"
    stored.write_bytes(bytes(data))
    async with NodeAgent(tmp_path / "state", attempts=1, backoff_scale=FAST) as agent:
        result = await agent.run_pod(pods_of(pod_yaml(f"{plain_registry.host}/{repo}:v1"), tmp_path)[0])
    assert result.status == "ImagePullBackOff"
    failure = result.events.events[1].message
    assert complaint in failure and bad in failure
    state = tmp_path / "state"
    assert not (state / "images" / "blobs" / "sha256" / bad.split(":")[1]).exists()
    assert list((state / "ingest").iterdir()) == []
    assert layout_names(state) == []
    assert not (state / "images" / "blobs" / "sha256" / image.digest.split(":")[1]).exists()


async def test_index_resolved_to_the_platform(plain_registry, repo, tmp_path):
    amd64, arm64 = make_image(architecture="amd64"), make_image(architecture="arm64")
    index = await Pusher(plain_registry.url).push_index(repo, "multi", [amd64, arm64])
    image = f"{plain_registry.host}/{repo}:multi"
    async with NodeAgent(tmp_path / "state", platform=Platform.parse("linux/arm64")) as agent:
        result = await agent.run_pod(pods_of(pod_yaml(image), tmp_path)[0])
    assert result.ready
    store = ContentStore(tmp_path / "state")
    (record,) = store.records()
    assert record.digest == arm64.digest and record.repo_digest == sha256(index)
    assert record.manifest.platform == {"os": "linux", "architecture": "arm64"}
    assert result.containers[0].image.image_id == arm64.config_digest
    assert all(store.has_blob(d) for d in arm64.blobs)
    assert not any(store.has_blob(d) for d in amd64.blobs)
    async with NodeAgent(tmp_path / "other", platform=Platform.parse("linux/s390x"), attempts=1,
                         backoff_scale=FAST) as agent:
        missing = await agent.run_pod(pods_of(pod_yaml(image), tmp_path)[0])
    assert "no match for platform linux/s390x" in missing.events.events[1].message


async def test_digest_reference_is_present_after_pull_by_digest(plain_registry, repo, tmp_path):
    image = await Pusher(plain_registry.url).push(repo, "v1", make_image(layers=1))
    by_digest = f"{plain_registry.host}/{repo}@{image.digest}"
    async with NodeAgent(tmp_path / "state") as agent:
        first = await agent.run_pod(pods_of(pod_yaml(by_digest), tmp_path)[0])
        second = await agent.run_pod(pods_of(pod_yaml(by_digest), tmp_path)[0])
    assert first.events.reasons() == ["Pulling", "Pulled"]
    assert second.events.reasons() == ["Pulled"] and "already present" in second.events.events[0].message


async def test_interrupted_download_resumes_with_range(plain_registry, repo, tmp_path):
    image = await Pusher(plain_registry.url).push(repo, "v1", make_image(layers=1, size=512 * 1024))
    layer = image.layers[0]
    store = ContentStore(tmp_path / "state")
    store.partial_path(sha256(layer)).write_bytes(layer[: len(layer) // 2])
    async with NodeAgent(tmp_path / "state") as agent:
        await agent.runtime.puller.pull(f"{plain_registry.host}/{repo}:v1")
    assert store.read_blob(sha256(layer)) == layer
    assert f'"GET /v2/{repo}/blobs/{sha256(layer)} HTTP/1.1" 206' in plain_registry.log()
    assert list((tmp_path / "state" / "ingest").iterdir()) == []


async def test_bad_partial_download_restarts_cleanly(plain_registry, repo, tmp_path):
    image = await Pusher(plain_registry.url).push(repo, "v1", make_image(layers=1, size=128 * 1024))
    layer = image.layers[0]
    store = ContentStore(tmp_path / "state")
    store.partial_path(sha256(layer)).write_bytes(b"\0" * (len(layer) // 3))  # not a prefix of the layer
    async with NodeAgent(tmp_path / "state", backoff_scale=FAST) as agent:
        result = await agent.run_pod(pods_of(pod_yaml(f"{plain_registry.host}/{repo}:v1"), tmp_path)[0])
    assert result.ready
    assert result.events.reasons() == ["Pulling", "Failed", "Failed", "BackOff", "Failed", "Pulled"]
    assert "unexpected commit digest" in result.events.events[1].message
    assert store.read_blob(sha256(layer)) == layer and list(store.ingest_dir.iterdir()) == []


async def test_connection_cut_mid_layer_resumes_within_the_pull(plain_registry, repo, tmp_path):
    image = await Pusher(plain_registry.url).push(repo, "v1", make_image(layers=1, size=600 * 1024))
    proxy = await CuttingProxy(plain_registry.url, cut_after=200 * 1024).start()
    try:
        async with NodeAgent(tmp_path / "state") as agent:
            result = await agent.run_pod(pods_of(pod_yaml(f"{proxy.host}/{repo}:v1"), tmp_path)[0])
    finally:
        await proxy.stop()
    assert result.ready and result.events.reasons() == ["Pulling", "Pulled"]
    assert proxy.cuts == 1 and proxy.ranges == [f"bytes={200 * 1024}-"]
    assert ContentStore(tmp_path / "state").read_blob(sha256(image.layers[0])) == image.layers[0]
