"""Pull-through for proxy-cache projects: what a miss in core's manifest and blob reads does.

- By digest: once cached, served locally without asking the upstream.
- By tag: served from the cache for ``proxy.manifest_check_interval`` seconds after the
  upstream last agreed; then one HEAD (shared by every concurrent pull of the tag)
  decides whether the cached manifest is still the tag's, and a moved tag is fetched.
- Whenever the upstream fails (unreachable, 5xx, 429, a refused login, even a 404 for a
  tag it no longer has) and a copy is cached, the copy is served with a ``Warning``
  header and a log line; what was never cached gets the upstream's error in OCI form.
- Processes sharing the database ask the upstream once between them, too (``proxy_claims``).
- The ``Accept`` sent upstream is the manifest types the client asked for, or all that
  Berth serves when it asked for none (or only ``*/*``).
- Fetched content is ordinary content: linked into the repository, held to the project's
  quota (a miss that would exceed it is refused with DENIED and nothing is linked),
  counted by pulls, seen by GC and fsck.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import TypeVar

import aiohttp

from registry.core.blobs import BlobBody
from registry.core.errors import RegistryError
from registry.core.links import BlobLinks
from registry.core.manifests import ManifestService, StoredManifest
from registry.core.names import project_of, split_stored_reference
from registry.core.proxy_blobs import BlobFetch, BlobFetches, FetchNotice, FollowedFetch, machine_id
from registry.core.proxy_claims import UpstreamClaims
from registry.core.proxy_projects import ProxyProjects, upstream_repository
from registry.core.quotas import QuotaService
from registry.core.upstreams import UpstreamRegistries
from registry.oci import mediatypes
from registry.oci.auth import RequestError
from registry.oci.client import RegistryClient
from registry.oci.digest import Digest, DigestError, digest_of
from storage.blobs.base import BlobStore
from storage.meta.upstreams import EndpointRecord

log = logging.getLogger("berth.proxy")
T = TypeVar("T")
MAX_CLIENTS = 1024
MAX_CHECKED = 100_000  # remembered tag checks; beyond it they are forgotten (the next pull asks again)
# A fetch's notice outlives any fetch: it is taken back when the fetch ends, and followers of a
# holder that died give up when its claim expires.
FETCH_NOTICE_SECONDS = 3600.0
KNOWN_MANIFESTS = (mediatypes.OCI_INDEX, mediatypes.OCI_MANIFEST, mediatypes.DOCKER_MANIFEST_LIST,
                   mediatypes.DOCKER_MANIFEST)


def upstream_accept(accept: Iterable[str]) -> str:
    """The Accept header for the upstream: the client's manifest types, else every one Berth serves."""
    wanted = [part.split(";")[0].strip() for value in accept for part in value.split(",")]
    types = [t for t in dict.fromkeys(wanted) if t and t != "*/*" and "/" in t]
    return ", ".join(types or KNOWN_MANIFESTS)


def upstream_error(error: RequestError, what: str, reference: str) -> RegistryError:
    """The upstream's refusal of ``reference``, in the OCI format, for a client with nothing cached."""
    status = error.status
    message = f"the upstream registry could not supply {reference}: {error}"
    if status == 404:
        code = "MANIFEST_UNKNOWN" if what == "manifest" else "BLOB_UNKNOWN"
        return RegistryError(code, message, {"reference": reference}, status=404)
    if status == 429:
        return RegistryError("TOOMANYREQUESTS", message, status=429)
    if status in (401, 403):
        return RegistryError("DENIED", f"the upstream registry refused Berth's login for {reference}: {error}",
                             status=403)
    return RegistryError("UNAVAILABLE", message, status=502 if status else 503)


def too_many(project: str, limit: int) -> RegistryError:
    return RegistryError("TOOMANYREQUESTS", f"project {project} allows {limit} upstream request(s) at once "
                         "(max_upstream_conn); try again shortly", {"project": project, "limit": limit}, status=429)


class ProxyCache:
    def __init__(self, upstreams: UpstreamRegistries, proxies: ProxyProjects, manifests: ManifestService,
                 links: BlobLinks, quotas: QuotaService, store: BlobStore, claims: UpstreamClaims,
                 work_dir: Path, *, check_interval: float) -> None:
        self.upstreams = upstreams
        self.proxies = proxies
        self.manifests = manifests
        self.links = links
        self.quotas = quotas
        self.store = store
        self.claims = claims
        self.check_interval = check_interval
        self.fetches = BlobFetches(store, work_dir)
        # (repo, tag) → (monotonic time the upstream was last asked, the Warning to serve until the next ask)
        self._checked: dict[tuple[str, str], tuple[float, str | None]] = {}
        self._flights: dict[tuple[str, ...], asyncio.Future] = {}
        self._clients: OrderedDict[tuple, RegistryClient] = OrderedDict()

    async def _take(self, repo: str) -> str | None:
        """A slot for one upstream request of ``repo``'s project, counted across every process that
        shares the database (None: the project sets no limit); TOOMANYREQUESTS beyond max_upstream_conn."""
        limit = await self.proxies.limit_of(repo)
        if limit < 0:
            return None
        project = project_of(repo)
        slot = await self.claims.take_slot(project, limit)
        if slot is None:
            raise too_many(project, limit)
        return slot

    async def _release(self, slot: str | None) -> None:
        if slot is not None:
            await self.claims.release(slot)

    async def _limited(self, repo: str, work: Callable[[], Awaitable[T]]) -> T:
        slot = await self._take(repo)
        try:
            return await work()
        finally:
            await self._release(slot)

    # --- talking to the upstream ---------------------------------------------------------
    async def _client(self, endpoint: EndpointRecord, repo: str) -> RegistryClient:
        """A client for the upstream repository behind ``repo``, kept so its token is reused."""
        name = upstream_repository(endpoint, repo)
        if not name:
            raise RegistryError("NAME_INVALID", "a proxy-cache repository needs a name after the project",
                                {"name": repo})
        key = (endpoint.id, endpoint.updated, name)
        client = self._clients.get(key)
        if client is None:
            client = RegistryClient(self.upstreams.session(), [endpoint.url], name,
                                    await self.upstreams.login(endpoint), verify_tls=not endpoint.insecure)
            self._clients[key] = client
            if len(self._clients) > MAX_CLIENTS:
                self._clients.popitem(last=False)
        self._clients.move_to_end(key)
        return client

    async def _shared(self, key: tuple[str, ...], work: Callable[[], Awaitable[T]]) -> T:
        """Run ``work`` once for every concurrent caller with the same key; all get its result."""
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.ensure_future(work())
            self._flights[key] = flight
            flight.add_done_callback(lambda _: self._flights.pop(key, None))
        return await asyncio.shield(flight)

    # --- manifests -------------------------------------------------------------------------
    async def _local(self, repo: str, reference: str) -> StoredManifest | None:
        try:
            return await self.manifests.get_local(repo, reference)
        except RegistryError as error:
            if error.code != "MANIFEST_UNKNOWN":
                raise
            return None

    async def manifest(self, endpoint: EndpointRecord, repo: str, reference: str,
                       accept: Iterable[str]) -> StoredManifest:
        tag, digest = split_stored_reference(reference)
        local = await self._local(repo, reference)
        header = upstream_accept(accept)
        if digest is not None:
            if local is not None:
                return local
            return await self._shared(("manifest", repo, str(digest)), lambda: self._claimed(
                repo, str(digest), lambda: self._limited(
                    repo, lambda: self._fetch_manifest(endpoint, repo, str(digest), None, header))))
        assert tag is not None
        checked = self._checked.get((repo, tag))
        if local is not None and checked is not None and time.monotonic() - checked[0] < self.check_interval:
            return dataclasses.replace(local, warning=checked[1]) if checked[1] else local
        return await self._shared(("tag", repo, tag), lambda: self._revalidate(endpoint, repo, tag, local, header))

    def _remember(self, repo: str, tag: str, warning: str | None) -> None:
        if len(self._checked) >= MAX_CHECKED:
            self._checked.clear()
        self._checked[(repo, tag)] = (time.monotonic(), warning)

    async def _claimed(self, repo: str, reference: str,
                       fetch: Callable[[], Awaitable[StoredManifest]]) -> StoredManifest:
        """``fetch`` a manifest not cached yet, unless another process is fetching it: then its copy."""
        name = f"proxy-manifest:{repo}:{reference}"
        found = await self.claims.hold_or_wait(name, lambda: self._local(repo, reference))
        if found is not None:
            return found
        try:
            return await fetch()
        finally:
            await self.claims.release(name)

    async def _revalidate(self, endpoint: EndpointRecord, repo: str, tag: str, local: StoredManifest | None,
                          accept: str) -> StoredManifest:
        """The tag's manifest: fetched when cold; else, if no process asked this interval, checked."""
        first = await self.claims.first_to_check(_check_name(repo, tag), self.check_interval)
        if local is None:
            fetched = await self._claimed(repo, tag, lambda: self._ask(endpoint, repo, tag, None, accept))
            self._remember(repo, tag, None)
            return fetched
        if not first:  # another process asked the upstream within the interval, and says how it went
            warning = await self.claims.told(_check_name(repo, tag))
            self._remember(repo, tag, warning)
            return dataclasses.replace(local, warning=warning) if warning else local
        return await self._ask(endpoint, repo, tag, local, accept)

    async def _ask(self, endpoint: EndpointRecord, repo: str, tag: str, local: StoredManifest | None,
                   accept: str) -> StoredManifest:
        """Ask the upstream (one HEAD) whether the tag still names the cached manifest; fetch if not."""
        try:
            slot = await self._take(repo)
        except RegistryError:
            if local is None:
                raise
            return local  # the project's upstream requests are all busy: the cached copy will do until next time
        try:
            client = await self._client(endpoint, repo)
            response = await client.request("HEAD", f"manifests/{tag}", {"Accept": accept})
            response.release()
            current = _digest_or_none(response.headers.get("Docker-Content-Digest"))
            if local is not None and current == local.digest:
                await self._answered(repo, tag, None)
                return local
            fetched = await self._fetch_manifest(endpoint, repo, current or tag, tag, accept)
        except RequestError as error:
            if local is None:
                raise upstream_error(error, "manifest", f"{repo}:{tag}") from None
            # Only Berth's words go into the header: the upstream's message is logged, never echoed.
            failure = f"answered {error.status}" if error.status else "could not be reached"
            warning = f'110 - "Response is Stale: the upstream registry {failure}; serving the cached copy"'
            log.warning("proxy: %s:%s served from the cache: upstream %s failed: %s", repo, tag, endpoint.url, error)
            await self._answered(repo, tag, warning)
            return dataclasses.replace(local, warning=warning)
        finally:
            await self._release(slot)
        await self._answered(repo, tag, None)
        return fetched

    async def _answered(self, repo: str, tag: str, warning: str | None) -> None:
        """Remember how the upstream answered a tag's check, here and for the other processes."""
        self._remember(repo, tag, warning)
        await self.claims.tell_others(_check_name(repo, tag), warning, self.check_interval)

    async def _fetch_manifest(self, endpoint: EndpointRecord, repo: str, reference: str, tag: str | None,
                              accept: str) -> StoredManifest:
        """GET a manifest from the upstream, verify its digest, store it (tagged ``tag``)."""
        client = await self._client(endpoint, repo)
        try:
            body, media_type, headers = await client.manifest(reference, accept, self.manifests.max_bytes)
        except RequestError as error:
            if tag is not None:
                raise  # the caller may serve a cached copy
            raise upstream_error(error, "manifest", f"{repo}@{reference}") from None
        expected_text = reference if ":" in reference else _digest_or_none(headers.get("Docker-Content-Digest"))
        expected = Digest.parse(expected_text) if expected_text else None
        actual = digest_of(body, expected.algorithm if expected else "sha256")
        if expected is not None and actual != expected:
            log.warning("proxy: %s sent a manifest for %s that hashes to %s, not %s; refused", endpoint.url,
                        reference, actual, expected)
            raise RegistryError("DIGEST_INVALID", "the upstream registry sent a manifest that does not match its "
                                "digest; nothing was cached", {"expected": str(expected), "actual": str(actual)},
                                status=502)
        return await self.manifests.record_fetched(repo, actual, body, media_type or None, tag)

    # --- blobs ------------------------------------------------------------------------------
    async def blob_size(self, endpoint: EndpointRecord, repo: str, digest: Digest) -> int:
        """The size of a blob not cached in ``repo``: from a fetch in flight, else the upstream's HEAD."""
        fetch = self.fetches.current(digest)
        if fetch is not None:
            await fetch.started.wait()
            if fetch.size is not None:
                return fetch.size
        client = await self._client(endpoint, repo)
        try:
            response = await self._limited(repo, lambda: client.request("HEAD", f"blobs/{digest}"))
        except RequestError as error:
            raise upstream_error(error, "blob", str(digest)) from None
        response.release()
        if response.content_length is None:
            raise RegistryError("UNAVAILABLE", "the upstream registry sent no size for the blob", status=502)
        return response.content_length

    async def _stored(self, endpoint: EndpointRecord, repo: str, digest: Digest) -> BlobBody | None:
        """The blob from the store when its bytes are there (held for another repository, or just
        fetched by another process), linked into ``repo`` once the upstream grants it this one too."""
        stored = await self.store.stat(digest)
        if stored is None:
            return None
        size = await self.blob_size(endpoint, repo, digest)
        if size != stored or not await self.links.link_fetched(repo, str(digest), size):
            return None
        return BlobBody(digest, size, self.store.local_path(digest), await self.store.redirect_url(digest), self.store)

    async def blob(self, endpoint: EndpointRecord, repo: str, digest: Digest) -> BlobBody:
        """A blob not cached in ``repo``: linked if its bytes are here, else fetched once for everyone."""
        client = await self._client(endpoint, repo)
        body = await self._stored(endpoint, repo, digest)
        if body is not None:
            return body

        async def open_response() -> aiohttp.ClientResponse:
            return await client.request("GET", f"blobs/{digest}")

        async def commit(size: int) -> None:
            await self._store_fetched(fetch, size)

        claim = f"proxy-blob:{digest}"
        fetch = self.fetches.current(digest)
        if fetch is None:
            elsewhere = await self._shared(("claim", str(digest)), lambda: self.claims.hold_or_wait(
                claim, lambda: self.store.stat(digest), lambda: self._fetching_here(digest)))
            if isinstance(elsewhere, FetchNotice):  # another process on this machine is fetching it
                return await self._follow(endpoint, repo, digest, claim, elsewhere)
            if elsewhere is not None:  # another process fetched it meanwhile
                body = await self._stored(endpoint, repo, digest)
                if body is None:
                    raise RegistryError("UNAVAILABLE", f"{digest} was collected as it arrived; try again", status=503)
                return body
            fetch = self.fetches.current(digest)
        if fetch is None:
            fetch = await self._start_fetch(repo, digest, claim, open_response, commit)
        await fetch.started.wait()
        if fetch.size is None:
            error = fetch.error
            if isinstance(error, RequestError):
                raise upstream_error(error, "blob", str(digest))
            raise RegistryError("UNAVAILABLE", f"the upstream registry could not supply {digest}: {fetch.failure}",
                                status=502)
        await self.quotas.check_all(repo, [(str(digest), fetch.size)])
        fetch.repos.add(repo)
        return BlobBody(digest, fetch.size, None, None, fetch)

    async def _start_fetch(self, repo: str, digest: Digest, claim: str,
                           open_response: Callable[[], Awaitable[aiohttp.ClientResponse]],
                           commit: Callable[[int], Awaitable[None]]) -> BlobFetch:
        """Start the fetch of a blob this process claimed (or join one a request here started
        meanwhile). It holds one of the project's upstream slots while it transfers, tells this
        machine's other processes where its file grows, and lets go of the claim however it ends."""
        try:
            slot = await self._take(repo)
        except RegistryError:
            await self.claims.release(claim)
            raise

        async def announce(started: BlobFetch) -> None:
            assert started.size is not None
            notice = FetchNotice(machine_id(), str(started.path), started.size, repo)
            try:
                await self.claims.tell_others(_fetch_name(digest), notice.as_text(), FETCH_NOTICE_SECONDS)
            except Exception:  # the others then wait for the stored blob, as from another machine
                log.warning("proxy: could not tell the other processes about the fetch of %s", digest, exc_info=True)

        async def finished() -> None:
            await self.claims.tell_others(_fetch_name(digest), None, 0)
            await self.claims.release(claim)

        fetch, started = self.fetches.join(digest, open_response, commit, lambda: self._release(slot),
                                           finished, announce)
        if not started:  # another request started it while the slot was taken
            await self._release(slot)
        return fetch

    async def _fetching_here(self, digest: Digest) -> FetchNotice | None:
        """Where another process of this machine writes the blob it is fetching, if one is."""
        notice = FetchNotice.parse(await self.claims.told(_fetch_name(digest)))
        return notice if notice is not None and notice.here() else None

    async def _follow(self, endpoint: EndpointRecord, repo: str, digest: Digest, claim: str,
                      notice: FetchNotice) -> BlobBody:
        """Serve a blob another process of this machine is fetching, behind its writer."""
        if notice.repo != repo and await self.blob_size(endpoint, repo, digest) != notice.size:
            raise RegistryError("UNAVAILABLE", f"the upstream registry gave {digest} another size", status=502)
        await self.quotas.check_all(repo, [(str(digest), notice.size)])

        async def link() -> None:
            await self.links.link_fetched(repo, str(digest), notice.size)

        followed = FollowedFetch(notice, self.store, lambda: self.claims.held(claim), link)
        return BlobBody(digest, notice.size, None, None, followed)

    async def _store_fetched(self, fetch: BlobFetch, size: int) -> None:
        """Move a verified fetch into the blob store and link it where it was asked for."""
        if fetch.upload_id is not None:  # written into the store's upload area already
            await self.store.upload_commit(fetch.upload_id, fetch.digest)
        else:
            upload_id = f"proxy-{fetch.digest.hex[:16]}-{id(fetch):x}"[:64]
            await self.store.upload_start(upload_id)
            try:
                await self.store.upload_append(upload_id, 0, _file_chunks(fetch.path))
                await self.store.upload_commit(upload_id, fetch.digest)
            except BaseException:
                await self.store.upload_abort(upload_id)
                raise
        for repo in sorted(fetch.repos):
            await self.links.link_fetched(repo, str(fetch.digest), size)

    async def close(self) -> None:
        await self.fetches.close()
        await self.claims.close()


def _fetch_name(digest: Digest) -> str:
    return f"proxy-fetch:{digest}"


def _check_name(repo: str, tag: str) -> str:
    return f"proxy-tag:{repo}:{tag}"


def _digest_or_none(text: str | None) -> str | None:
    """An upstream's ``Docker-Content-Digest`` if it is a digest; anything else is ignored."""
    try:
        return str(Digest.parse(text)) if text else None
    except DigestError:
        return None


async def _file_chunks(path: Path, chunk: int = 1 << 20):
    with open(path, "rb") as handle:
        while data := await asyncio.to_thread(handle.read, chunk):
            yield data
