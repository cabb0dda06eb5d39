"""Issuing and verifying registry tokens (Docker token spec JWTs, RS256).

A verified token is remembered until it expires, so each one is checked
cryptographically once, not on every request.
"""
from __future__ import annotations

import datetime
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass

import jwt

from registry.auth.access import Scope
from registry.auth.signing_key import SigningKey
from registry.core import metrics

MIN_LIFETIME = 60
LEEWAY = 5
REFRESH_LIFETIME = 90 * 24 * 3600


class InvalidToken(Exception):
    """The token is malformed, forged, expired, or meant for something else."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_in: int
    issued_at: str


@dataclass(frozen=True, slots=True)
class TokenClaims:
    subject: str
    kind: str
    access: dict[tuple[str, str], frozenset[str]]
    expires: float

    def allows(self, scope: Scope) -> bool:
        granted = self.access.get((scope.type, scope.name), frozenset())
        return "*" in granted or set(scope.actions) <= granted


class TokenAuthority:
    def __init__(self, key: SigningKey, service: str, issuer: str, lifetime: int, cache_size: int = 10000) -> None:
        self.key = key
        self.service = service
        self.issuer = issuer
        self.lifetime = max(lifetime, MIN_LIFETIME)
        self.cache_size = cache_size
        self._verified: OrderedDict[str, TokenClaims] = OrderedDict()

    def _sign(self, claims: dict) -> str:
        headers = {"kid": self.key.kid, "x5c": self.key.x5c, "typ": "JWT"}
        return jwt.encode(claims, self.key.private_key, algorithm="RS256", headers=headers)

    def issue(self, subject: str, kind: str, access: list[Scope]) -> IssuedToken:
        now = int(time.time())
        claims = {
            "iss": self.issuer, "sub": subject, "aud": self.service,
            "exp": now + self.lifetime, "nbf": now, "iat": now, "jti": secrets.token_urlsafe(16),
            "access": [{"type": s.type, "name": s.name, "actions": list(s.actions)} for s in access],
            "kind": kind,
        }
        metrics.token_issued(kind if subject else "anonymous")
        issued_at = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).isoformat().replace("+00:00", "Z")
        return IssuedToken(self._sign(claims), self.lifetime, issued_at)

    def issue_refresh(self, subject: str, kind: str, stamp: str) -> str:
        """A refresh token; ``stamp`` fingerprints the credential it was earned with."""
        now = int(time.time())
        return self._sign({"iss": self.issuer, "sub": subject, "aud": f"{self.service}/refresh",
                           "exp": now + REFRESH_LIFETIME, "nbf": now, "iat": now,
                           "jti": secrets.token_urlsafe(16), "kind": kind, "cs": stamp})

    def _decode(self, token: str, audience: str) -> dict:
        try:
            return jwt.decode(token, self.key.public_key, algorithms=["RS256"], audience=audience,
                              issuer=self.issuer, leeway=LEEWAY,
                              options={"require": ["exp", "nbf", "iat", "iss", "aud", "sub"]})
        except jwt.PyJWTError as exc:
            metrics.auth_failed("token")
            raise InvalidToken(str(exc)) from None

    def verify(self, token: str) -> TokenClaims:
        cached = self._verified.get(token)
        if cached is not None:
            if cached.expires + LEEWAY >= time.time():
                return cached
            del self._verified[token]
            metrics.auth_failed("token")
            raise InvalidToken("token has expired")
        claims = self._decode(token, self.service)
        access: dict[tuple[str, str], frozenset[str]] = {}
        for entry in claims.get("access") or []:
            if isinstance(entry, dict) and isinstance(entry.get("actions"), list):
                key = (str(entry.get("type")), str(entry.get("name")))
                access[key] = access.get(key, frozenset()) | frozenset(map(str, entry["actions"]))
        result = TokenClaims(str(claims["sub"]), str(claims.get("kind", "user")), access, float(claims["exp"]))
        self._verified[token] = result
        if len(self._verified) > self.cache_size:
            self._verified.popitem(last=False)
        return result

    def verify_refresh(self, token: str) -> tuple[str, str, str]:
        """Subject, kind and credential stamp of a valid refresh token."""
        claims = self._decode(token, f"{self.service}/refresh")
        return str(claims["sub"]), str(claims.get("kind", "user")), str(claims.get("cs", ""))
