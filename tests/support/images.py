"""Build test images in memory (random layers, config, manifests, indexes) and lay them out.

Nothing is downloaded: every image the tests push is made here.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def descriptor(media_type: str, data: bytes, **extra) -> dict:
    return {"mediaType": media_type, "digest": sha256(data), "size": len(data), **extra}


def layer_tar(size: int = 2048, name: str = "file.bin") -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        payload = os.urandom(size)
        info = tarfile.TarInfo(name)
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    return gzip.compress(raw.getvalue(), mtime=0)


@dataclass
class Image:
    """A single-platform image: config, layers and the manifest that ties them."""

    config: bytes
    layers: list[bytes]
    manifest: bytes
    media_type: str
    blobs: dict[str, bytes] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return sha256(self.manifest)


def make_image(layers: int = 2, layer_size: int = 2048, docker: bool = False, arch: str = "amd64",
               os_name: str = "linux", artifact_type: str | None = None, subject: dict | None = None,
               annotations: dict | None = None, config_media_type: str | None = None) -> Image:
    layer_blobs = [layer_tar(layer_size, f"layer{i}.bin") for i in range(layers)]
    diff_ids = [sha256(gzip.decompress(b)) for b in layer_blobs]
    config = json.dumps({
        "architecture": arch, "os": os_name,
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "created": "2026-01-01T00:00:00Z",
    }).encode()
    media_type = DOCKER_MANIFEST if docker else OCI_MANIFEST
    config_type = config_media_type or (DOCKER_CONFIG if docker else OCI_CONFIG)
    layer_type = DOCKER_LAYER if docker else OCI_LAYER
    doc: dict = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": descriptor(config_type, config),
        "layers": [descriptor(layer_type, b) for b in layer_blobs],
    }
    if artifact_type:
        doc["artifactType"] = artifact_type
    if subject:
        doc["subject"] = subject
    if annotations:
        doc["annotations"] = annotations
    manifest = json.dumps(doc, indent=2).encode()
    blobs = {sha256(b): b for b in [config, *layer_blobs]}
    return Image(config, layer_blobs, manifest, media_type, blobs)


@dataclass
class Index:
    images: list[Image]
    manifest: bytes
    media_type: str

    @property
    def digest(self) -> str:
        return sha256(self.manifest)


def make_index(platforms: list[tuple[str, str]] = (("linux", "amd64"), ("linux", "arm64")),
               docker: bool = False) -> Index:
    images = [make_image(layers=1, docker=docker, os_name=o, arch=a) for o, a in platforms]
    media_type = DOCKER_LIST if docker else OCI_INDEX
    doc = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "manifests": [
            descriptor(img.media_type, img.manifest, platform={"os": o, "architecture": a})
            for img, (o, a) in zip(images, platforms)
        ],
    }
    return Index(images, json.dumps(doc).encode(), media_type)


def write_oci_layout(path: Path, top: Image | Index, tag: str = "latest") -> Path:
    """An OCI image layout directory that ``skopeo copy oci:PATH:TAG`` can read."""
    blobs_dir = path / "blobs" / "sha256"
    blobs_dir.mkdir(parents=True, exist_ok=True)
    images = top.images if isinstance(top, Index) else [top]
    for image in images:
        for digest, data in {**image.blobs, image.digest: image.manifest}.items():
            (blobs_dir / digest.split(":")[1]).write_bytes(data)
    (blobs_dir / top.digest.split(":")[1]).write_bytes(top.manifest)
    (path / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    index = {
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": top.media_type, "digest": top.digest, "size": len(top.manifest),
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }],
    }
    (path / "index.json").write_text(json.dumps(index))
    return path
