"""Every kind of manifest a registry serves, however it labels it: pulled into the layout
in the shape containerd writes, or refused with a message that says why."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry.agent import Platform, Puller, PullError
from registry.agent.store import ContentStore
from tests.agent.images import (DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, Pusher, make_image,
                                make_index, sha256)
from tests.agent.registries import StaticRegistry

ARM64 = {"os": "linux", "architecture": "arm64"}
SCHEMA1 = json.dumps({"schemaVersion": 1, "name": "team/app", "tag": "v1", "architecture": "amd64",
                      "fsLayers": [{"blobSum": sha256(b"layer")}], "history": [{"v1Compatibility": "{}"}]}).encode()


def layout_entries(state: Path) -> list[dict]:
    return json.loads((state / "images" / "index.json").read_text())["manifests"]


@pytest.fixture
async def static_registry():
    registry = await StaticRegistry().start()
    yield registry
    await registry.stop()


async def pull(host: str, repo: str, state: Path, platform: str = "linux/amd64"):
    async with Puller(ContentStore(state), platform=Platform.parse(platform)) as puller:
        return await puller.pull(f"{host}/{repo}:v1")


async def test_docker_manifest_list_is_resolved_and_recorded_as_oci_descriptors(plain_registry, repo, tmp_path):
    images = [make_image(layers=1, architecture=a, media_type=DOCKER_MANIFEST) for a in ("amd64", "arm64")]
    index = await Pusher(plain_registry.url).push_index(repo, "v1", images, DOCKER_LIST)
    result = await pull(plain_registry.host, repo, tmp_path, "linux/arm64")
    assert result.image_id == images[1].config_digest and result.record.repo_digest == sha256(index)
    (entry,) = layout_entries(tmp_path)
    assert list(entry) == ["mediaType", "digest", "size", "platform", "annotations"]
    assert (entry["mediaType"], entry["digest"], entry["size"], entry["platform"]) == (
        DOCKER_MANIFEST, images[1].digest, len(images[1].manifest), ARM64)
    assert entry["annotations"]["io.containerd.image.name"] == f"{plain_registry.host}/{repo}:v1"


@pytest.mark.parametrize("media_type, declared", [(DOCKER_MANIFEST, True), (OCI_MANIFEST, False)])
async def test_image_manifest_from_distribution(media_type, declared, plain_registry, repo, tmp_path):
    image = await Pusher(plain_registry.url).push(repo, "v1", make_image(layers=1, media_type=media_type,
                                                                         declared=declared))
    result = await pull(plain_registry.host, repo, tmp_path)
    assert result.image_id == image.config_digest
    (entry,) = layout_entries(tmp_path)
    assert list(entry) == ["mediaType", "digest", "size", "annotations"]
    assert (entry["mediaType"], entry["digest"], entry["size"]) == (media_type, image.digest, len(image.manifest))


@pytest.mark.parametrize("media_type, declared, content_type", [
    (OCI_MANIFEST, True, "application/json"),
    (OCI_MANIFEST, False, "application/json; charset=utf-8"),
    (OCI_MANIFEST, False, "application/octet-stream"),
    (DOCKER_MANIFEST, True, "application/json"),
    (DOCKER_MANIFEST, False, DOCKER_MANIFEST),
])
async def test_loosely_labelled_image_manifest(media_type, declared, content_type, static_registry, repo, tmp_path):
    image = make_image(layers=1, media_type=media_type, declared=declared)
    static_registry.manifest(repo, ["v1"], image.manifest, content_type)
    static_registry.blobs(repo, image.blobs)
    result = await pull(static_registry.host, repo, tmp_path)
    assert result.image_id == image.config_digest
    assert result.record.manifest.media_type == media_type
    assert ContentStore(tmp_path).read_blob(image.digest) == image.manifest


async def test_unlabelled_index_of_unlabelled_docker_manifests(static_registry, repo, tmp_path):
    images = [make_image(layers=1, architecture=a, media_type=DOCKER_MANIFEST, declared=False)
              for a in ("amd64", "arm64")]
    index = make_index(images, declared=False)
    static_registry.manifest(repo, ["v1"], index, "application/json")
    for image in images:
        static_registry.manifest(repo, [image.digest], image.manifest, "application/octet-stream")
        static_registry.blobs(repo, image.blobs)
    result = await pull(static_registry.host, repo, tmp_path, "linux/arm64")
    assert result.image_id == images[1].config_digest and result.record.repo_digest == sha256(index)
    (entry,) = layout_entries(tmp_path)
    assert (entry["mediaType"], entry["digest"], entry["platform"]) == (DOCKER_MANIFEST, images[1].digest, ARM64)


def _bad_layer_digest() -> bytes:
    doc = json.loads(make_image(layers=1).manifest)
    doc["layers"][0]["digest"] = "sha256:short"
    return json.dumps(doc).encode()


@pytest.mark.parametrize("body, content_type, complaint", [
    (SCHEMA1, "application/vnd.docker.distribution.manifest.v1+prettyjws",
     "invalid manifest: Docker schema 1 manifests are not supported"),
    (SCHEMA1, "text/plain", "invalid manifest: Docker schema 1 manifests are not supported"),
    (make_image(layers=1).manifest, DOCKER_MANIFEST,
     f"invalid manifest: mediaType '{OCI_MANIFEST}' does not match Content-Type '{DOCKER_MANIFEST}'"),
    (make_index([make_image(layers=1)]), OCI_MANIFEST,
     f"invalid manifest: mediaType '{OCI_INDEX}' does not match Content-Type '{OCI_MANIFEST}'"),
    (_bad_layer_digest(), OCI_MANIFEST, "invalid manifest: layers[0].digest: "),
    (b"<html>login</html>", "text/html", "invalid manifest: manifest is not valid JSON"),
])
async def test_unusable_manifest_is_refused_saying_why(body, content_type, complaint, static_registry, repo,
                                                       tmp_path):
    static_registry.manifest(repo, ["v1"], body, content_type)
    with pytest.raises(PullError) as info:
        await pull(static_registry.host, repo, tmp_path)
    assert str(info.value).startswith(complaint)
    assert layout_entries(tmp_path) == []
