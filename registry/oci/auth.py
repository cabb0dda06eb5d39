"""Answering registry authentication challenges (``WWW-Authenticate``).

Registries answer 401 with either ``Basic realm=…`` (Distribution with htpasswd) or
``Bearer realm=…,service=…,scope=…`` (the token flow of Distribution, Harbor and
Berth). For Bearer, a token is fetched from the realm with ``GET ?service&scope``,
sending the login as Basic, or nothing for anonymous pulls.

The node agent and the proxy cache both speak to registries through this; each says
which exception classes its failures take, so that its callers catch their own kind.
"""
from __future__ import annotations

import asyncio
import base64
import re
from dataclasses import dataclass, field
from typing import Protocol

import aiohttp

_PARAM_RE = re.compile(r'\s*([a-zA-Z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]*)\s*,?')
CLIENT_ID = "berth-agent"


class RequestError(Exception):
    """A registry request that failed; ``status`` is the HTTP status, None when none came back."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class UnauthorizedRequest(RequestError):
    """The registry refused the login (or its absence)."""


class Login(Protocol):
    username: str
    password: str


@dataclass(frozen=True, slots=True)
class Challenge:
    scheme: str  # lowercase: "basic" or "bearer"
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Failures:
    """The exception classes a client raises: ordinary failures and refused logins."""

    failure: type[RequestError] = RequestError
    unauthorized: type[RequestError] = UnauthorizedRequest


def parse_challenges(headers: list[str]) -> list[Challenge]:
    """Parse every ``WWW-Authenticate`` value into scheme and parameters (RFC 7235)."""
    challenges = []
    for header in headers:
        scheme, _, rest = header.strip().partition(" ")
        params = {}
        for match in _PARAM_RE.finditer(rest):
            quoted = match.group(3)
            params[match.group(1).lower()] = (re.sub(r"\\(.)", r"\1", quoted) if quoted is not None
                                              else match.group(2))
        if scheme:
            challenges.append(Challenge(scheme.lower(), params))
    return challenges


def basic_header(login: Login) -> str:
    token = base64.b64encode(f"{login.username}:{login.password}".encode()).decode()
    return f"Basic {token}"


async def fetch_token(session: aiohttp.ClientSession, challenge: Challenge, scope: str,
                      login: Login | None, *, ssl: bool, failures: Failures = Failures()) -> str:
    """Get a Bearer token from the challenge's realm for ``scope``."""
    realm = challenge.params.get("realm", "")
    if not realm.startswith(("https://", "http://")):
        raise failures.failure(f"registry sent a Bearer challenge without a usable realm: {realm!r}")
    params = {"client_id": CLIENT_ID}
    if challenge.params.get("scope") or scope:
        params["scope"] = challenge.params.get("scope") or scope
    if "service" in challenge.params:
        params["service"] = challenge.params["service"]
    headers = {}
    if login is not None:
        params["account"] = login.username
        headers["Authorization"] = basic_header(login)
    try:
        async with session.get(realm, params=params, headers=headers, ssl=None if ssl else False) as response:
            if response.status in (401, 403):
                who = "token" if login else "anonymous token"
                raise failures.unauthorized(
                    f"failed to fetch {who} from {realm}: {response.status} {response.reason}: unauthorized",
                    response.status)
            if response.status != 200:
                raise failures.failure(f"failed to fetch token from {realm}: {response.status} {response.reason}",
                                       response.status)
            body = await response.json(content_type=None)
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise failures.failure(f"failed to fetch token from {realm}: {exc or type(exc).__name__}") from None
    except ValueError:
        raise failures.failure(f"token server {realm} did not answer JSON") from None
    token = (body.get("access_token") or body.get("token")) if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise failures.failure(f"token server {realm} answered without a token")
    return token


class Authenticator:
    """Remembers how one registry wants to be spoken to, for one login (or none)."""

    def __init__(self, session: aiohttp.ClientSession, login: Login | None, scope: str, *, ssl: bool,
                 failures: Failures = Failures()):
        self._session = session
        self.credential = login
        self._scope = scope
        self._ssl = ssl
        self._failures = failures
        self.authorization: str | None = None

    async def answer(self, challenges: list[Challenge], denied: str) -> None:
        """Prepare the Authorization header that answers a 401; raise when nothing can."""
        for challenge in challenges:
            if challenge.scheme == "bearer":
                token = await fetch_token(self._session, challenge, self._scope, self.credential, ssl=self._ssl,
                                          failures=self._failures)
                self.authorization = f"Bearer {token}"
                return
            if challenge.scheme == "basic" and self.credential is not None:
                self.authorization = basic_header(self.credential)
                return
        raise self._failures.unauthorized(denied, 401)
