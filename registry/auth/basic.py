"""Checking Basic credentials, shared by /v2/, /service/token and /api/v2.0.

A verified credential is remembered for a short time under an HMAC of the name and
password, so a client that sends Basic on every request pays for the slow KDF once,
and the cache never holds a password in clear. Any account change empties it.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time

from registry.core.accounts import AccountService
from registry.core.audit import AuditTrail
from registry.core.errors import RegistryError
from registry.core.rbac import Principal
from registry.auth.throttle import LoginThrottle

MAX_CACHED = 10000


def decode_basic(value: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise RegistryError("UNAUTHORIZED", "malformed Basic credentials") from None
    username, sep, password = decoded.partition(":")
    if not sep or not username:
        raise RegistryError("UNAUTHORIZED", "malformed Basic credentials")
    return username, password


class BasicAuthenticator:
    def __init__(self, accounts: AccountService, audit: AuditTrail, throttle: LoginThrottle,
                 cache_key: bytes, cache_seconds: float) -> None:
        self.accounts = accounts
        self.audit = audit
        self.throttle = throttle
        self.cache_key = cache_key
        self.cache_seconds = cache_seconds
        self._cache: dict[bytes, tuple[Principal, float, int]] = {}

    async def login(self, username: str, password: str, client: str) -> Principal:
        """The principal, or UNAUTHORIZED; failures are audited and slow further tries.

        Used by /v2/ Basic auth, the token endpoint and the API alike, so a client that logs
        in again and again (every ``docker pull`` fetches a token) pays for the KDF once.
        """
        key = hmac.new(self.cache_key, f"{username}\0{password}".encode(), hashlib.sha256).digest()
        cached = self._cache.get(key)
        now = time.monotonic()
        if cached is not None and cached[1] > now and cached[2] == self.accounts.generation:
            return cached[0]
        principal = await self._verify(username, password, client)
        if len(self._cache) >= MAX_CACHED:
            self._cache = {k: v for k, v in self._cache.items() if v[1] > now}
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
        self._cache[key] = (principal, now + self.cache_seconds, self.accounts.generation)
        return principal

    async def _verify(self, username: str, password: str, client: str) -> Principal:
        self.throttle.check(f"user:{username}", f"addr:{client}")
        principal = await self.accounts.authenticate(username, password)
        if principal is None:
            self.throttle.failed(f"user:{username}", f"addr:{client}")
            self.audit.record(username, "login_failed", username, "user", "failure", client)
            raise RegistryError("UNAUTHORIZED", "invalid username or password")
        self.throttle.succeeded(f"user:{username}")
        return principal

    async def authenticate(self, header_value: str, client: str) -> Principal:
        """The principal for the value of a ``Basic`` Authorization header."""
        username, password = decode_basic(header_value)
        return await self.login(username, password, client)
