"""Web UI sessions: a random cookie for a logged-in user, with a CSRF token.

The cookie proves who the browser is; the CSRF token (sent back in the
``X-Harbor-CSRF-Token`` header, which other sites cannot set) proves that a write
came from Berth's own page.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from registry.core.accounts import AccountService
from registry.core.rbac import Principal
from storage.meta.store import MetaStore


def _key(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


class SessionService:
    def __init__(self, meta: MetaStore, accounts: AccountService, lifetime: float) -> None:
        self.meta = meta
        self.accounts = accounts
        self.lifetime = lifetime

    async def open(self, principal: Principal) -> tuple[str, str]:
        """A new session for a user; returns (cookie value, CSRF token)."""
        cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        await self.meta.sessions.create(_key(cookie), principal.name, csrf, time.time() + self.lifetime)
        return cookie, csrf

    async def resolve(self, cookie: str) -> tuple[Principal, str] | None:
        """The live user and CSRF token of a session; None when it ended or the user is gone."""
        if not cookie or len(cookie) > 128:
            return None
        session = await self.meta.sessions.get(_key(cookie))
        if session is None:
            return None
        principal = await self.accounts.principal_for("user", session.username)
        return (principal, session.csrf) if principal is not None else None

    async def close(self, cookie: str) -> None:
        if cookie and len(cookie) <= 128:
            await self.meta.sessions.delete(_key(cookie))

    async def end_all(self, username: str) -> None:
        """End a user's sessions, so a later account of the same name does not inherit them."""
        await self.meta.sessions.delete_user(username)

    @staticmethod
    def csrf_ok(expected: str, sent: str | None) -> bool:
        return bool(sent) and hmac.compare_digest(expected.encode(), sent.encode())
