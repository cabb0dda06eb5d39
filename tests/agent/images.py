"""Test images made from random layers, pushed with the plain OCI push flow."""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from dataclasses import dataclass, field

import aiohttp

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
# The config and layer media types that go with each kind of image manifest.
PART_TYPES = {OCI_MANIFEST: (OCI_CONFIG, OCI_LAYER), DOCKER_MANIFEST: (DOCKER_CONFIG, DOCKER_LAYER)}


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def random_layer(size: int = 64 * 1024) -> tuple[bytes, str]:
    """A gzipped tar with one file of random bytes; also the uncompressed digest (diff ID)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        payload = os.urandom(size)
        info = tarfile.TarInfo(f"data-{payload[:4].hex()}.bin")
        info.size = size
        tar.addfile(info, io.BytesIO(payload))
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, mtime=0), sha256(tar_bytes)


@dataclass
class Image:
    config: bytes
    layers: list[bytes]
    manifest: bytes
    architecture: str = "amd64"
    media_type: str = OCI_MANIFEST
    blobs: dict[str, bytes] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return sha256(self.manifest)

    @property
    def config_digest(self) -> str:
        return sha256(self.config)

    def descriptor(self) -> dict:
        return {"mediaType": self.media_type, "digest": self.digest, "size": len(self.manifest),
                "platform": {"os": "linux", "architecture": self.architecture}}


def make_image(layers: int = 2, size: int = 64 * 1024, architecture: str = "amd64",
               media_type: str = OCI_MANIFEST, declared: bool = True) -> Image:
    """An image manifest of ``media_type``; ``declared=False`` leaves mediaType out of the body."""
    made = [random_layer(size) for _ in range(layers)]
    config_type, layer_type = PART_TYPES[media_type]
    config = json.dumps({"architecture": architecture, "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": [diff for _, diff in made]}}).encode()
    manifest = json.dumps({
        "schemaVersion": 2, **({"mediaType": media_type} if declared else {}),
        "config": {"mediaType": config_type, "digest": sha256(config), "size": len(config)},
        "layers": [{"mediaType": layer_type, "digest": sha256(blob), "size": len(blob)} for blob, _ in made],
    }).encode()
    image = Image(config, [blob for blob, _ in made], manifest, architecture, media_type)
    image.blobs = {sha256(b): b for b in [config, *image.layers]}
    return image


def make_index(images: list[Image], media_type: str = OCI_INDEX, declared: bool = True) -> bytes:
    return json.dumps({"schemaVersion": 2, **({"mediaType": media_type} if declared else {}),
                       "manifests": [image.descriptor() for image in images]}).encode()


class Pusher:
    """POST an upload, PUT ?digest= with the bytes, PUT the manifest — as skopeo does."""

    def __init__(self, base_url: str, authorization: str | None = None):
        self.base = base_url
        self.headers = {"Authorization": authorization} if authorization else {}

    async def _blob(self, session: aiohttp.ClientSession, repo: str, data: bytes) -> None:
        async with session.post(f"{self.base}/v2/{repo}/blobs/uploads/", headers=self.headers) as response:
            assert response.status == 202, await response.text()
            location = response.headers["Location"]
        if location.startswith("/"):
            location = self.base + location
        separator = "&" if "?" in location else "?"
        async with session.put(f"{location}{separator}digest={sha256(data)}", data=data,
                               headers={**self.headers, "Content-Type": "application/octet-stream"}) as response:
            assert response.status == 201, await response.text()

    async def _manifest(self, session: aiohttp.ClientSession, repo: str, ref: str, body: bytes, media_type: str) -> None:
        async with session.put(f"{self.base}/v2/{repo}/manifests/{ref}", data=body,
                               headers={**self.headers, "Content-Type": media_type}) as response:
            assert response.status == 201, await response.text()

    async def push(self, repo: str, tag: str, image: Image) -> Image:
        async with aiohttp.ClientSession() as session:
            for data in image.blobs.values():
                await self._blob(session, repo, data)
            await self._manifest(session, repo, tag, image.manifest, image.media_type)
        return image

    async def push_index(self, repo: str, tag: str, images: list[Image], media_type: str = OCI_INDEX) -> bytes:
        index = make_index(images, media_type)
        async with aiohttp.ClientSession() as session:
            for image in images:
                for data in image.blobs.values():
                    await self._blob(session, repo, data)
                await self._manifest(session, repo, image.digest, image.manifest, image.media_type)
            await self._manifest(session, repo, tag, index, media_type)
        return index
