"""A minimal registry client over one keep-alive connection, for pushes and set-up.

It streams files from disk in 1 MiB writes and never holds a blob in memory, so the
client is not what limits an upload.
"""
from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import time
from pathlib import Path
from urllib.parse import urlsplit

BLOCK = 1 << 20
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def basic_header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def sha256_file(path: Path) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(BLOCK * 8):
            hasher.update(chunk)
    return "sha256:" + hasher.hexdigest()


def random_file(path: Path, size: int) -> str:
    """Write ``size`` incompressible bytes and return their digest."""
    hasher = hashlib.sha256()
    with open(path, "wb") as f:
        remaining = size
        while remaining:
            chunk = os.urandom(min(remaining, 16 * BLOCK))
            hasher.update(chunk)
            f.write(chunk)
            remaining -= len(chunk)
    return "sha256:" + hasher.hexdigest()


class RegistryClient:
    def __init__(self, url: str, authorization: str | None = None) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.authorization = authorization
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=300, blocksize=BLOCK)

    def close(self) -> None:
        self.conn.close()

    def request(self, method: str, path: str, body=None, headers: dict[str, str] | None = None,
                expect: tuple[int, ...] = (200, 201, 202, 204)) -> http.client.HTTPResponse:
        headers = dict(headers or {})
        if self.authorization:
            headers["Authorization"] = self.authorization
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        response.payload = response.read()
        if response.status not in expect:
            raise RuntimeError(f"{method} {path}: {response.status} {response.payload[:300]!r}")
        return response

    @staticmethod
    def _path(location: str) -> str:
        parts = urlsplit(location)
        return parts.path + ("?" + parts.query if parts.query else "")

    @staticmethod
    def _with_digest(location: str, digest: str) -> str:
        return location + ("&" if "?" in location else "?") + "digest=" + digest

    def _start(self, repo: str) -> str:
        return self._path(self.request("POST", f"/v2/{repo}/blobs/uploads/",
                                       headers={"Content-Length": "0"}).headers["Location"])

    def push_file(self, repo: str, path: Path, digest: str, chunk: int | None = None) -> float:
        """Upload a file as one PUT, or as PATCH chunks of ``chunk`` bytes; return seconds."""
        size = path.stat().st_size
        began = time.perf_counter()
        location = self._start(repo)
        with open(path, "rb") as f:
            if chunk is None:
                self.request("PUT", self._with_digest(location, digest), body=f,
                             headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"})
            else:
                offset = 0
                while offset < size:
                    data = f.read(chunk)
                    response = self.request("PATCH", location, body=data, headers={
                        "Content-Length": str(len(data)), "Content-Type": "application/octet-stream",
                        "Content-Range": f"{offset}-{offset + len(data) - 1}",
                    })
                    location = self._path(response.headers["Location"])
                    offset += len(data)
                self.request("PUT", self._with_digest(location, digest), headers={"Content-Length": "0"})
        return time.perf_counter() - began

    def push_bytes(self, repo: str, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        self.request("PUT", self._with_digest(self._start(repo), digest), body=data,
                     headers={"Content-Length": str(len(data)), "Content-Type": "application/octet-stream"})
        return digest

    def push_image(self, repo: str, layers: list[bytes], tags: list[str]) -> bytes:
        """A Docker schema 2 image (the type every registry serves by tag); returns the manifest."""
        config = json.dumps({"architecture": "amd64", "os": "linux",
                             "rootfs": {"type": "layers", "diff_ids": []}}).encode()
        config_digest = self.push_bytes(repo, config)
        descriptors = [{"mediaType": DOCKER_LAYER, "size": len(layer), "digest": self.push_bytes(repo, layer)}
                       for layer in layers]
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
            "config": {"mediaType": DOCKER_CONFIG, "size": len(config), "digest": config_digest},
            "layers": descriptors,
        }, indent=3).encode()
        for tag in tags:
            self.request("PUT", f"/v2/{repo}/manifests/{tag}", body=manifest,
                         headers={"Content-Type": DOCKER_MANIFEST, "Content-Length": str(len(manifest))})
        return manifest

    def token(self, service: str, scope: str) -> str:
        response = self.request("GET", f"/service/token?service={service}&scope={scope}")
        return json.loads(response.payload)["token"]
