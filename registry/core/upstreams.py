"""Registry endpoints: the upstreams proxy-cache projects pull through (Harbor's /registries).

An endpoint is a name, a type, a URL and an optional Basic login. The login's secret
is encrypted at rest with a key every Berth process shares, and never leaves core
again except to answer the upstream's challenge. ``proxy.upstream_hosts`` may limit
the hosts an endpoint can name, so that an administrator's typo (or a stolen admin
session) cannot point Berth at internal services.
"""
from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
from cryptography.fernet import Fernet, InvalidToken

from registry.core.errors import RegistryError, bad_request
from registry.core.secrets import SharedSecrets
from registry.oci.auth import RequestError
from registry.oci.client import RegistryClient
from storage.meta.database import Conflict
from storage.meta.upstreams import EndpointRecord
from storage.meta.store import MetaStore

DOCKER_HUB = "docker-hub"
# type → the URL used when none is given (Docker Hub's registry API lives on its own host).
TYPES: dict[str, str] = {"docker-registry": "", "harbor": "", DOCKER_HUB: "https://registry-1.docker.io"}
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,254}$")
MAX_URL = 2048
KEY_NAME = "registry-endpoint-credentials"


MAX_UPSTREAM_CONN = 10000
MAX_UPSTREAM_CONN_RE = re.compile(r"^(-1|[1-9][0-9]{0,3}|10000)$")


def max_upstream_conn(value: object) -> int:
    """Harbor's ``max_upstream_conn`` metadata (a string): -1 (no limit) or 1 to 10000, else a 400."""
    if not isinstance(value, str) or not MAX_UPSTREAM_CONN_RE.fullmatch(value):
        raise bad_request(f'metadata.max_upstream_conn must be "-1" (no limit) or "1" to "{MAX_UPSTREAM_CONN}"')
    return int(value)



@dataclass(frozen=True, slots=True)
class Login:
    username: str
    password: str


@dataclass(frozen=True, slots=True)
class EndpointFields:
    """What a caller may set on an endpoint; None leaves a field as it is on update."""

    name: str | None = None
    type: str | None = None
    url: str | None = None
    access_key: str | None = None
    access_secret: str | None = None
    insecure: bool | None = None
    description: str | None = None


def endpoint_not_found(endpoint_id: int) -> RegistryError:
    return RegistryError("NOT_FOUND", f"registry {endpoint_id} not found", status=404)


class UpstreamRegistries:
    def __init__(self, meta: MetaStore, secrets: SharedSecrets, allowed_hosts: str = "",
                 timeout: float = 30.0) -> None:
        self.meta = meta
        self.secrets = secrets
        self.allowed_hosts = {h.strip().lower() for h in allowed_hosts.split(",") if h.strip()}
        self.timeout = timeout
        self._fernet: Fernet | None = None
        self._session: aiohttp.ClientSession | None = None
        # What a new proxy-cache project gets besides its binding (the wiring sets it: a
        # default retention policy).
        self.on_bound: Callable[[int], Awaitable[None]] | None = None

    # --- the shared HTTP session and the key -----------------------------------------
    def session(self) -> aiohttp.ClientSession:
        """One connection pool for every upstream request of this process."""
        if self._session is None or self._session.closed:
            # Reads of 1 MiB (not aiohttp's 64 KiB) keep a cold blob fetch at the upstream's pace.
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=None, connect=self.timeout, sock_read=self.timeout),
                auto_decompress=False, read_bufsize=1 << 20)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _key(self) -> Fernet:
        if self._fernet is None:
            self._fernet = Fernet(await self.secrets.get_or_create(KEY_NAME, lambda: Fernet.generate_key().decode()))
        return self._fernet

    async def login(self, endpoint: EndpointRecord) -> Login | None:
        """The endpoint's decrypted login, or None when it has none."""
        if not endpoint.access_key:
            return None
        try:
            secret = (await self._key()).decrypt(endpoint.secret.encode()).decode() if endpoint.secret else ""
        except InvalidToken:
            raise RegistryError("UNAVAILABLE", f"the stored secret of registry {endpoint.name} cannot be "
                                "decrypted", status=503) from None
        return Login(endpoint.access_key, secret)

    # --- validation --------------------------------------------------------------------
    def _url(self, url: str) -> str:
        if len(url) > MAX_URL:
            raise bad_request(f"url is longer than {MAX_URL} characters")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise bad_request("url must be http(s)://host[:port]") from None
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment \
                or parts.username or parts.path not in ("", "/") or port == 0:
            raise bad_request("url must be http(s)://host[:port] (no path, query or login)")
        if self.allowed_hosts and parts.hostname.lower() not in self.allowed_hosts:
            raise bad_request(f"host {parts.hostname} is not among proxy.upstream_hosts")
        return url.rstrip("/")

    def _checked(self, fields: EndpointFields) -> EndpointFields:
        if fields.name is not None and not NAME_RE.fullmatch(fields.name):
            raise bad_request("name must be 1-255 letters, digits, spaces and . _ - starting with a letter or digit")
        if fields.type is not None and fields.type not in TYPES:
            raise bad_request(f"type must be one of {', '.join(sorted(TYPES))}")
        return fields

    # --- endpoints ----------------------------------------------------------------------
    async def create(self, fields: EndpointFields) -> int:
        fields = self._checked(fields)
        if fields.name is None or fields.type is None:
            raise bad_request("name and type are required")
        url = self._url(fields.url or TYPES[fields.type] or "")
        secret = await self._encrypt(fields.access_secret or "")
        try:
            return await self.meta.upstreams.create(fields.name, fields.type, url, fields.access_key or "", secret,
                                                    bool(fields.insecure), fields.description or "")
        except Conflict:
            raise RegistryError("CONFLICT", f"registry {fields.name} already exists", status=409) from None

    async def _encrypt(self, secret: str) -> str:
        return (await self._key()).encrypt(secret.encode()).decode() if secret else ""

    async def get(self, endpoint_id: int) -> EndpointRecord:
        found = await self.meta.upstreams.get(endpoint_id)
        if found is None:
            raise endpoint_not_found(endpoint_id)
        return found

    async def all(self) -> list[EndpointRecord]:
        return await self.meta.upstreams.all()

    async def update(self, endpoint: EndpointRecord, fields: EndpointFields) -> None:
        fields = self._checked(fields)
        changes: dict = {k: v for k, v in (("name", fields.name), ("type", fields.type),
                                            ("access_key", fields.access_key), ("insecure", fields.insecure),
                                            ("description", fields.description)) if v is not None}
        if fields.url is not None:
            changes["url"] = self._url(fields.url)
        if fields.access_secret is not None:
            changes["secret"] = await self._encrypt(fields.access_secret)
        try:
            await self.meta.upstreams.update(endpoint.id, **changes)
        except Conflict:
            raise RegistryError("CONFLICT", f"registry {fields.name} already exists", status=409) from None

    async def delete(self, endpoint: EndpointRecord) -> None:
        """Delete an endpoint no proxy-cache project uses."""
        if endpoint.id in (await self.meta.upstreams.bindings()).values():
            raise RegistryError("PRECONDITION", f"registry {endpoint.name} is used by a proxy-cache project; "
                                "delete the project first", status=412)
        await self.meta.upstreams.delete(endpoint.id)

    async def ping(self, url: str, insecure: bool, login: Login | None) -> None:
        """Check that ``url`` answers the Distribution API and takes ``login``; a clear 400 otherwise."""
        client = RegistryClient(self.session(), [self._url(url)], "", login, verify_tls=not insecure)
        try:
            (await client.request("GET", "")).release()
        except RequestError as error:
            raise bad_request(f"the registry does not answer as expected: {error}") from None

    # --- proxy-cache projects -------------------------------------------------------------
    async def bind(self, project_id: int, endpoint_id: int, limit: int = -1) -> None:
        """Make a project a proxy cache of an endpoint, with at most ``limit`` upstream requests at once."""
        await self.get(endpoint_id)
        await self.meta.upstreams.bind(project_id, endpoint_id, limit)
        if self.on_bound is not None:
            await self.on_bound(project_id)

    async def set_limit(self, project_id: int, limit: int) -> None:
        if not await self.meta.upstreams.set_max_upstream_conn(project_id, limit):
            raise bad_request("max_upstream_conn applies to proxy-cache projects only")

    async def project_limits(self) -> dict[int, int]:
        """Project id → max_upstream_conn of every proxy-cache project."""
        return await self.meta.upstreams.limits()

    async def project_endpoints(self) -> dict[int, int]:
        """Project id → endpoint id of every proxy-cache project."""
        return await self.meta.upstreams.bindings()

    async def of_project(self, project: str) -> EndpointRecord | None:
        return await self.meta.upstreams.endpoint_of_project(project)

    async def limit_of_project(self, project: str) -> int:
        return await self.meta.upstreams.max_upstream_conn(project)
