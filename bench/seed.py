"""Seeding a large registry for the scale section, into Berth and into Distribution.

Berth is seeded the way users fill it: manifests pushed over HTTP (every count and index
it keeps is maintained as in production), blob links through its storage layer (a
million mounts over HTTP would take an hour), with the server started afterwards like
any user would start it. Distribution is seeded on disk in the layout its filesystem
driver writes (``_manifests/tags/<tag>/current/link`` and so on): what its tags list and
catalog read is exactly that tree, and pushing a hundred thousand manifests through it
would take longer than the rest of the benchmark.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
PROJECT = "scale"
TAGS_REPO = f"{PROJECT}/tags"
CONCURRENCY = 32


def tag_name(i: int) -> str:
    return f"t{i:06d}"


def repo_name(i: int) -> str:
    return f"{PROJECT}/r{i:05d}"


@dataclass(frozen=True)
class Base:
    """The config and layer every seeded manifest shares (small: the manifests are what counts)."""

    config: bytes
    layer: bytes

    @classmethod
    def make(cls) -> "Base":
        config = json.dumps({"architecture": "amd64", "os": "linux",
                             "rootfs": {"type": "layers", "diff_ids": []}}).encode()
        return cls(config, os.urandom(4096))

    @staticmethod
    def digest(data: bytes) -> str:
        return "sha256:" + hashlib.sha256(data).hexdigest()

    def manifest(self, n: int) -> bytes:
        """A distinct image per ``n`` (an annotation tells them apart), as real tags mostly are."""
        return json.dumps({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "size": len(self.config), "digest": self.digest(self.config)},
            "layers": [{"mediaType": OCI_LAYER, "size": len(self.layer), "digest": self.digest(self.layer)}],
            "annotations": {"org.opencontainers.image.revision": str(n)},
        }).encode()


class HttpSeeder:
    """Pushes tags and repositories into a registry over HTTP, ``CONCURRENCY`` requests at once."""

    def __init__(self, url: str, base: Base) -> None:
        self.url = url
        self.base = base

    async def _check(self, response: aiohttp.ClientResponse, what: str) -> None:
        if response.status >= 300:
            raise RuntimeError(f"{what}: {response.status} {(await response.text())[:300]}")

    async def _blob(self, session: aiohttp.ClientSession, repo: str, data: bytes) -> None:
        async with session.post(f"{self.url}/v2/{repo}/blobs/uploads/") as r:
            await self._check(r, f"upload to {repo}")
            location = r.headers["Location"]
        location = location if location.startswith("http") else self.url + location
        sep = "&" if "?" in location else "?"
        async with session.put(f"{location}{sep}digest={self.base.digest(data)}", data=data,
                               headers={"Content-Type": "application/octet-stream"}) as r:
            await self._check(r, f"blob into {repo}")

    async def _mount(self, session: aiohttp.ClientSession, repo: str, data: bytes) -> None:
        digest = self.base.digest(data)
        async with session.post(f"{self.url}/v2/{repo}/blobs/uploads/?mount={digest}&from={TAGS_REPO}") as r:
            await self._check(r, f"mount into {repo}")
            if r.status == 202:  # no mount: upload the bytes instead
                await self._blob(session, repo, data)

    async def _manifest(self, session: aiohttp.ClientSession, repo: str, tag: str, n: int) -> None:
        async with session.put(f"{self.url}/v2/{repo}/manifests/{tag}", data=self.base.manifest(n),
                               headers={"Content-Type": OCI_MANIFEST}) as r:
            await self._check(r, f"manifest {repo}:{tag}")

    async def _repository(self, session: aiohttp.ClientSession, i: int) -> None:
        repo = repo_name(i)
        await self._mount(session, repo, self.base.config)
        await self._mount(session, repo, self.base.layer)
        await self._manifest(session, repo, "latest", -1 - i)

    async def _all(self, jobs) -> None:
        connector = aiohttp.TCPConnector(limit=CONCURRENCY)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=600)) as session:
            queue = iter(jobs)

            async def worker() -> None:
                for job in queue:
                    await job(session)

            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))

    def grow(self, tags: range, repositories: range) -> float:
        """Add tags ``tags`` to the tags repository and repositories ``repositories``; return seconds."""
        began = time.perf_counter()

        async def run() -> None:
            connector = aiohttp.TCPConnector(limit=1)
            async with aiohttp.ClientSession(connector=connector) as session:
                await self._blob(session, TAGS_REPO, self.base.config)
                await self._blob(session, TAGS_REPO, self.base.layer)
            await self._all(
                [lambda s, i=i: self._manifest(s, TAGS_REPO, tag_name(i), i) for i in tags]
                + [lambda s, i=i: self._repository(s, i) for i in repositories])

        asyncio.run(run())
        return time.perf_counter() - began


def link_blobs(berth_root: Path, data: Path, repositories: int, count: int) -> float:
    """Store ``count // 10`` small blobs and link each into ten repositories, through Berth's storage layer.

    Shared layers are what make links outnumber blobs in real registries. Runs in a
    child interpreter in ``berth_root`` so the storage code measured is the checkout's;
    returns seconds.
    """
    import subprocess
    import sys

    script = f"""
import asyncio, hashlib, time
from pathlib import Path
from registry.oci.digest import Digest
from storage.blobs.factory import open_blob_store
from storage.meta.factory import open_meta_store

async def main():
    meta = await open_meta_store({{}}, Path({str(data)!r}))
    store = await open_blob_store({{"fsync": False}}, Path({str(data)!r}))
    now = time.time()
    for k in range({count} // 10):
        body = b"blob %d" % k
        await store.put_bytes(Digest.parse("sha256:" + hashlib.sha256(body).hexdigest()), body)
    per_tx = 20000
    for start in range(0, {count}, per_tx):
        async with meta.db.transaction() as tx:
            for i in range(start, min(start + per_tx, {count})):
                digest = "sha256:" + hashlib.sha256(b"blob %d" % (i // 10)).hexdigest()
                await meta.blob_links.add(tx, "{PROJECT}/r%05d" % (i % {repositories}), digest, 7, now, renew=False)
    await meta.close()

asyncio.run(main())
"""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", script], cwd=berth_root, check=True)
    return time.perf_counter() - began


class DistributionTree:
    """Tags and repositories written straight into Distribution's filesystem layout."""

    def __init__(self, storage: Path, base: Base) -> None:
        self.root = storage / "docker" / "registry" / "v2"
        self.base = base

    @staticmethod
    def _write(path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def _blob(self, data: bytes) -> str:
        digest = self.base.digest(data)
        hex_ = digest.split(":", 1)[1]
        path = self.root / "blobs" / "sha256" / hex_[:2] / hex_ / "data"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return digest

    def _link(self, repo_dir: Path, relative: str, digest: str) -> None:
        self._write(repo_dir / relative / digest.replace(":", "/") / "link", digest)

    def _tag(self, repo: str, tag: str, n: int) -> None:
        repo_dir = self.root / "repositories" / repo
        digest = self._blob(self.base.manifest(n))
        self._link(repo_dir, "_manifests/revisions", digest)
        self._write(repo_dir / "_manifests" / "tags" / tag / "current" / "link", digest)
        self._link(repo_dir, f"_manifests/tags/{tag}/index", digest)

    def _layers(self, repo: str) -> None:
        repo_dir = self.root / "repositories" / repo
        for data in (self.base.config, self.base.layer):
            self._link(repo_dir, "_layers", self._blob(data))

    def grow(self, tags: range, repositories: range) -> float:
        began = time.perf_counter()
        self._layers(TAGS_REPO)
        for i in tags:
            self._tag(TAGS_REPO, tag_name(i), i)
        for i in repositories:
            self._layers(repo_name(i))
            self._tag(repo_name(i), "latest", -1 - i)
        return time.perf_counter() - began
