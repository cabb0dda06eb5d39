"""Checking Basic credentials, shared by /v2/, /service/token and /api/v2.0.

A verified credential is remembered for a short time under an HMAC of the name and
password, so a client that sends Basic on every request pays for the slow KDF once,
and the cache never holds a password in clear. Any account change empties it, and an
entry never outlives the robot it names.

Concurrent misses for the same credential share one check, and only so many checks
run at once (each scrypt check takes a core and 32 MiB for a while): a flood of new
or wrong credentials queues there instead of exhausting the machine, while requests
whose credential is cached go straight on.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from typing import Protocol

from registry.core import metrics
from registry.core.accounts import AccountService
from registry.core.audit import AuditTrail
from registry.core.errors import RegistryError
from registry.core.rbac import Principal
from registry.auth.throttle import LoginThrottle

MAX_CACHED = 10000


class LoginCheck(Protocol):
    async def check_login(self, username: str, password: str) -> tuple[Principal, float] | None:
        """The principal and when (epoch seconds) its login ends, or None for wrong credentials."""


def decode_basic(value: str) -> tuple[str, str]:
    """``user:password`` from the value of a Basic header, or UNAUTHORIZED.

    The header comes straight from the client: non-ASCII text (or undecodable bytes,
    which arrive as surrogates), bad base64, non-UTF-8 content and a missing colon are
    all a refusal, never an exception (``binascii.Error`` and ``UnicodeDecodeError``
    are both ``ValueError``s).
    """
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except ValueError:
        raise RegistryError("UNAUTHORIZED", "malformed Basic credentials") from None
    username, sep, password = decoded.partition(":")
    if not sep or not username:
        raise RegistryError("UNAUTHORIZED", "malformed Basic credentials")
    return username, password


class BasicAuthenticator:
    def __init__(self, accounts: AccountService, audit: AuditTrail, throttle: LoginThrottle,
                 cache_key: bytes, cache_seconds: float, concurrent_checks: int,
                 logins: LoginCheck | None = None) -> None:
        self.accounts = accounts
        # Who judges a password: local accounts and robots, or LDAP and OIDC beside them.
        self.logins: LoginCheck = logins or accounts
        self.audit = audit
        self.throttle = throttle
        self.cache_key = cache_key
        self.cache_seconds = cache_seconds
        self._checks = asyncio.Semaphore(max(concurrent_checks, 1))
        self._cache: dict[bytes, tuple[Principal, float, int]] = {}
        self._checking: dict[bytes, asyncio.Future[tuple[Principal, float]]] = {}

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
        self.throttle.check(f"user:{username}", f"addr:{client}")
        generation = self.accounts.generation
        principal, valid_until = await asyncio.shield(self._shared_check(key, username, password, client))
        now = time.monotonic()
        if len(self._cache) >= MAX_CACHED:
            self._cache = {k: v for k, v in self._cache.items() if v[1] > now}
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
        expires = min(now + self.cache_seconds, now + valid_until - time.time())
        self._cache[key] = (principal, expires, generation)
        return principal

    def _shared_check(self, key: bytes, username: str, password: str,
                      client: str) -> asyncio.Future[tuple[Principal, float]]:
        """The check of this credential already under way, or a new one (it runs to its end
        even when the client that started it goes away)."""
        check = self._checking.get(key)
        if check is None:
            check = self._checking[key] = asyncio.ensure_future(self._verify(username, password, client))

            def done(finished: asyncio.Future) -> None:
                self._checking.pop(key, None)
                if not finished.cancelled():
                    finished.exception()  # retrieved here, so a check nobody waits for logs nothing

            check.add_done_callback(done)
        return check

    async def _verify(self, username: str, password: str, client: str) -> tuple[Principal, float]:
        async with self._checks:
            login = await self.logins.check_login(username, password)
        if login is None:
            self.throttle.failed(f"user:{username}", f"addr:{client}")
            metrics.auth_failed("password")
            self.audit.record(username, "login_failed", username, "user", "failure", client)
            raise RegistryError("UNAUTHORIZED", "invalid username or password")
        self.throttle.succeeded(f"user:{username}")
        self.record_login(login[0], client)
        return login

    def record_failed_sign_in(self, source: str, client: str) -> None:
        """A sign-in that failed before any user was named (an OIDC callback with a bad code or
        state): audited under the source's name and counted against the address, like a wrong password."""
        self.throttle.failed(f"addr:{client}")
        metrics.auth_failed(source)
        self.audit.record(source, "login_failed", source, source, "failure", client)

    def record_login(self, principal: Principal, client: str) -> None:
        """Audit a verified login (not each cached use of it), naming where it came from."""
        source = principal.source if principal.kind == "user" else principal.kind
        self.audit.record(principal.name, "login", principal.name, source, "success", client)

    async def authenticate(self, header_value: str, client: str) -> Principal:
        """The principal for the value of a ``Basic`` Authorization header."""
        username, password = decode_basic(header_value)
        return await self.login(username, password, client)
