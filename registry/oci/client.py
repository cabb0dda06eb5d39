"""HTTP access to one repository of one registry, for any client of the Distribution API.

Endpoints are tried in order (HTTPS first; plain HTTP only where the caller allows
it, i.e. insecure registries), sticking to the first that answers at the transport
level. A 401 is answered once through the Authenticator and the request repeated.
Failures are raised as the caller's ``Failures`` classes, carrying the HTTP status.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from registry.oci.auth import Authenticator, Failures, Login, parse_challenges
from registry.oci.streams import read_at_most

ERROR_BODY_LIMIT = 64 * 1024
# Errors that mean "this endpoint does not speak to us" (e.g. HTTPS to a plain-HTTP port).
_TRANSPORT_ERRORS = (aiohttp.ClientConnectorError, aiohttp.ClientSSLError, aiohttp.ServerDisconnectedError,
                     aiohttp.ClientOSError)


def describe_failure(method: str, url: str, status: int, reason: str, body: bytes) -> str:
    """``GET url: 401 Unauthorized: unauthorized: authentication required`` from an OCI error body."""
    text = f"{method} {url}: {status} {reason}"
    try:
        errors = json.loads(body).get("errors") or []
        details = [f"{e.get('code', '').lower().replace('_', ' ')}: {e.get('message', '')}" for e in errors]
    except (ValueError, AttributeError):
        details = []
    return text + "".join(f": {d}" for d in details if d.strip(": "))


class RegistryClient:
    """Requests to ``/v2/<repository>/…`` with endpoint fallback and challenge answering.

    With an empty ``repository`` paths are relative to ``/v2/`` itself (``request("GET", "")``
    checks that a registry answers and takes the login).
    """

    failures = Failures()

    def __init__(self, session: aiohttp.ClientSession, endpoints: list[str], repository: str,
                 credential: Login | None, *, verify_tls: bool = True):
        self._session = session
        self._endpoints = list(endpoints)
        self.repository = repository
        self._ssl = verify_tls
        scope = f"repository:{repository}:pull" if repository else ""
        self._auth = Authenticator(session, credential, scope, ssl=verify_tls, failures=self.failures)

    async def _send(self, method: str, path: str, headers: dict[str, str]) -> aiohttp.ClientResponse:
        while True:
            url = f"{self._endpoints[0]}/v2/{self.repository}/{path}" if self.repository else \
                f"{self._endpoints[0]}/v2/{path}"
            try:
                return await self._session.request(method, url, headers=headers, ssl=None if self._ssl else False)
            except _TRANSPORT_ERRORS as exc:
                if len(self._endpoints) == 1:
                    raise self.failures.failure(f"{method} {url}: {exc}") from None
                self._endpoints.pop(0)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                raise self.failures.failure(f"{method} {url}: {exc or type(exc).__name__}") from None

    async def _authorized(self, method: str, path: str, headers: dict[str, str] | None) -> aiohttp.ClientResponse:
        sent = dict(headers or {})
        if self._auth.authorization:
            sent["Authorization"] = self._auth.authorization
        return await self._send(method, path, sent)

    @staticmethod
    async def _failure(method: str, response: aiohttp.ClientResponse) -> str:
        body = await response.content.read(ERROR_BODY_LIMIT)
        response.release()
        return describe_failure(method, str(response.url), response.status, response.reason or "", body)

    async def request(self, method: str, path: str, headers: dict[str, str] | None = None) -> aiohttp.ClientResponse:
        """Send, answering one authentication challenge; raise for any status but 200/206."""
        response = await self._authorized(method, path, headers)
        if response.status == 401:
            challenges = parse_challenges(response.headers.getall("WWW-Authenticate", []))
            await self._auth.answer(challenges, await self._failure(method, response))
            response = await self._authorized(method, path, headers)
        if response.status in (200, 206):
            return response
        status, failure = response.status, await self._failure(method, response)
        raise (self.failures.unauthorized if status in (401, 403) else self.failures.failure)(failure, status)

    async def manifest(self, reference: str, accept: str, limit: int) -> tuple[bytes, str, dict[str, Any]]:
        """Body, media type and headers of a manifest; bodies over ``limit`` bytes are refused."""
        response = await self.request("GET", f"manifests/{reference}", {"Accept": accept})
        async with response:
            try:
                body = await read_at_most(response.content, limit)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                raise self.failures.failure(f"GET {response.url}: {exc or type(exc).__name__}") from None
            if len(body) > limit:
                raise self.failures.failure(f"manifest {reference} is larger than {limit} bytes")
            media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
            return body, media_type, dict(response.headers)
