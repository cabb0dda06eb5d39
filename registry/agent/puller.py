"""Pulling an image into the node's content store, as a container runtime does.

The manifest named by the reference is fetched and verified; an index is resolved
to the node's platform; config and layers are downloaded in parallel and verified;
only then are the manifests stored and the reference recorded, so a failed pull
never leaves a reference to an incomplete image.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import aiohttp

from registry.agent.blobs import fetch_blob
from registry.agent.client import RegistryClient
from registry.agent.daemon_config import DaemonConfig
from registry.agent.errors import PullError
from registry.agent.keyring import Credential
from registry.agent.platform import Platform, select_manifest
from registry.agent.progress import Progress
from registry.agent.store import ContentStore, ImageRecord
from registry.oci import mediatypes
from registry.oci.digest import Digest, DigestError, digest_of
from registry.oci.manifest import Descriptor, ManifestError, ParsedManifest, parse_manifest
from registry.oci.reference import DEFAULT_DOMAIN, ImageReference

DOCKER_HUB_ENDPOINT = "https://registry-1.docker.io"
MANIFEST_LIMIT = 4 << 20
USER_AGENT = "berth-agent/0.1"
MAX_CONCURRENT_DOWNLOADS = 3  # Docker's default max-concurrent-downloads


@dataclass(frozen=True, slots=True)
class PullResult:
    """A completed pull: the record written, the image ID and how much was transferred."""

    record: ImageRecord
    image_id: str
    size: int
    downloaded: int
    seconds: float


def _parse(body: bytes, content_type: str) -> ParsedManifest:
    """What a manifest references, or a PullError saying why it cannot be pulled."""
    try:
        return parse_manifest(body, content_type)
    except ManifestError as exc:
        raise PullError(f"invalid manifest: {exc}") from None


class Puller:
    """Pulls images into a ContentStore. Use as ``async with Puller(store) as puller``.

    ``docker_hub`` is where Docker Hub images come from after the mirrors of
    ``daemon`` (air-gapped nodes point it at their own registry).
    """

    def __init__(self, store: ContentStore, *, daemon: DaemonConfig | None = None,
                 platform: Platform | None = None, progress: Progress | None = None,
                 concurrency: int = MAX_CONCURRENT_DOWNLOADS, session: aiohttp.ClientSession | None = None,
                 docker_hub: str = DOCKER_HUB_ENDPOINT):
        self.store = store
        self.docker_hub = docker_hub
        self.daemon = daemon or DaemonConfig()
        self.platform = platform or Platform.host()
        self.progress = progress or Progress()
        self._concurrency = concurrency
        self._session = session
        self._owns_session = session is None

    async def __aenter__(self) -> "Puller":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            timeout = aiohttp.ClientTimeout(total=None, connect=30, sock_read=120)
            # Blobs are verified byte for byte: ask for no Content-Encoding and never decode one.
            self._session = aiohttp.ClientSession(timeout=timeout, auto_decompress=False,
                                                  headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})
        return self._session

    def endpoint_groups(self, registry: str) -> list[tuple[list[str], bool]]:
        """Where to pull from, in order: (base URLs tried for one source, verify TLS)."""
        if registry == DEFAULT_DOMAIN:
            mirrors = [([mirror], True) for mirror in self.daemon.mirrors]
            return mirrors + [([self.docker_hub], not self.docker_hub.startswith("http://"))]
        if self.daemon.is_insecure(registry):
            return [([f"https://{registry}", f"http://{registry}"], False)]
        return [([f"https://{registry}"], True)]

    async def pull(self, ref: ImageReference | str, credential: Credential | None = None) -> PullResult:
        """Pull ``ref`` with ``credential`` (None: anonymous); raise PullError on any failure."""
        ref = (ImageReference.parse(ref) if isinstance(ref, str) else ref).with_default_tag()
        failure: PullError | None = None
        for endpoints, verify in self.endpoint_groups(ref.domain):
            client = RegistryClient(self._http(), endpoints, ref.path, credential, verify_tls=verify)
            try:
                return await self._pull_from(client, ref)
            except PullError as exc:  # a mirror falls back to the next source, the last one reports
                failure = exc
            except OSError as exc:  # the node's disk, not the registry: no other source helps
                raise PullError(f"failed to store {ref}: {exc}") from None
        assert failure is not None
        raise failure

    async def _fetch_manifest(self, client: RegistryClient, reference: str,
                              expected: str | None) -> tuple[bytes, str, str]:
        try:
            algorithm = Digest.parse(expected).algorithm if expected else "sha256"
        except DigestError as exc:
            raise PullError(f"cannot verify {reference}: {exc}") from None
        body, media_type, headers = await client.manifest(reference, mediatypes.ACCEPT_ALL_MANIFESTS, MANIFEST_LIMIT)
        digest = str(digest_of(body, algorithm))
        if expected and digest != expected:
            raise PullError(f"manifest {reference}: content has digest {digest}, expected {expected}")
        served = headers.get("Docker-Content-Digest")
        if served and served.startswith(f"{algorithm}:") and served != digest:
            raise PullError(f"manifest {reference}: content has digest {digest}, registry says {served}")
        return body, media_type, digest

    async def _pull_from(self, client: RegistryClient, ref: ImageReference) -> PullResult:
        started = time.monotonic()
        previous = self.store.find(ref)
        body, media_type, repo_digest = await self._fetch_manifest(client, ref.identifier, ref.digest)
        self.progress.start(str(ref), ref.tag or ref.digest or "", ref.path)
        manifest = _parse(body, media_type)
        stored = {repo_digest: body}
        descriptor = Descriptor(manifest.media_type, repo_digest, len(body))
        if manifest.is_index:
            chosen = select_manifest(manifest.children, self.platform)
            body, _, digest = await self._fetch_manifest(client, chosen.digest, chosen.digest)
            if len(body) != chosen.size:
                raise PullError(f"manifest {digest}: {len(body)} bytes, index says {chosen.size}")
            # The index, verified by its digest, says what the entry is; the Content-Type adds nothing.
            manifest = _parse(body, chosen.media_type)
            if manifest.is_index:
                raise PullError("invalid index: a platform entry points at another index")
            stored[digest] = body
            descriptor = Descriptor(manifest.media_type, digest, len(body), platform=chosen.platform)
        assert manifest.config is not None  # parse_manifest gives every image manifest a config
        blobs = [manifest.config, *manifest.layers]
        downloaded = await self._fetch_blobs(client, blobs)
        for digest, content in stored.items():
            self.store.put_blob(content, digest)
        record = self.store.add(str(ref), descriptor, repo_digest)
        size = sum(blob.size for blob in {b.digest: b for b in blobs}.values())
        current = previous is not None and previous.record.digest == record.digest
        verb = "Image is up to date" if current else "Downloaded newer image"
        self.progress.finish([f"Digest: {repo_digest}", f"Status: {verb} for {ref.familiar()}"])
        return PullResult(record, manifest.config.digest, size, downloaded, time.monotonic() - started)

    async def _fetch_blobs(self, client: RegistryClient, blobs: list[Descriptor]) -> int:
        """Download every distinct blob, a few at a time; return the bytes transferred.

        A failure does not cancel the other downloads: they finish and are verified, so
        nothing is left half-written, and a retry finds them already present.
        """
        unique = list({blob.digest: blob for blob in blobs}.values())
        limit = asyncio.Semaphore(self._concurrency)

        async def one(blob: Descriptor) -> int:
            def report(status: str, current: int, total: int) -> None:
                self.progress.layer(blob.digest, status, current, total)

            async with limit:
                return blob.size if await fetch_blob(client, self.store, blob, report) else 0

        results = await asyncio.gather(*(one(blob) for blob in unique), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return sum(results)
