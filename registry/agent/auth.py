"""Answering registry authentication challenges (``WWW-Authenticate``).

Registries answer 401 with either ``Basic realm=…`` (Distribution with htpasswd) or
``Bearer realm=…,service=…,scope=…`` (the token flow of Distribution, Harbor and
Berth). For Bearer, a token is fetched from the realm with ``GET ?service&scope``,
sending the matched credential as Basic, or nothing for anonymous pulls.
"""
from __future__ import annotations

import asyncio
import base64
import re
from dataclasses import dataclass, field

import aiohttp

from registry.agent.errors import PullError, UnauthorizedError
from registry.agent.keyring import Credential

_PARAM_RE = re.compile(r'\s*([a-zA-Z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]*)\s*,?')
CLIENT_ID = "berth-agent"


@dataclass(frozen=True, slots=True)
class Challenge:
    scheme: str  # lowercase: "basic" or "bearer"
    params: dict[str, str] = field(default_factory=dict)


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


def basic_header(credential: Credential) -> str:
    token = base64.b64encode(f"{credential.username}:{credential.password}".encode()).decode()
    return f"Basic {token}"


async def fetch_token(session: aiohttp.ClientSession, challenge: Challenge, scope: str,
                      credential: Credential | None, *, ssl: bool) -> str:
    """Get a Bearer token from the challenge's realm for ``scope``."""
    realm = challenge.params.get("realm", "")
    if not realm.startswith(("https://", "http://")):
        raise PullError(f"registry sent a Bearer challenge without a usable realm: {realm!r}")
    params = {"scope": challenge.params.get("scope") or scope, "client_id": CLIENT_ID}
    if "service" in challenge.params:
        params["service"] = challenge.params["service"]
    headers = {}
    if credential is not None:
        params["account"] = credential.username
        headers["Authorization"] = basic_header(credential)
    try:
        async with session.get(realm, params=params, headers=headers, ssl=None if ssl else False) as response:
            if response.status in (401, 403):
                who = "token" if credential else "anonymous token"
                raise UnauthorizedError(
                    f"failed to fetch {who} from {realm}: {response.status} {response.reason}: unauthorized")
            if response.status != 200:
                raise PullError(f"failed to fetch token from {realm}: {response.status} {response.reason}")
            body = await response.json(content_type=None)
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise PullError(f"failed to fetch token from {realm}: {exc or type(exc).__name__}") from None
    except ValueError:
        raise PullError(f"token server {realm} did not answer JSON") from None
    token = (body.get("access_token") or body.get("token")) if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise PullError(f"token server {realm} answered without a token")
    return token


class Authenticator:
    """Remembers how one registry wants to be spoken to, for one credential (or none)."""

    def __init__(self, session: aiohttp.ClientSession, credential: Credential | None, scope: str, *, ssl: bool):
        self._session = session
        self.credential = credential
        self._scope = scope
        self._ssl = ssl
        self.authorization: str | None = None

    async def answer(self, challenges: list[Challenge], denied: str) -> None:
        """Prepare the Authorization header that answers a 401; raise when nothing can."""
        for challenge in challenges:
            if challenge.scheme == "bearer":
                token = await fetch_token(self._session, challenge, self._scope, self.credential, ssl=self._ssl)
                self.authorization = f"Bearer {token}"
                return
            if challenge.scheme == "basic" and self.credential is not None:
                self.authorization = basic_header(self.credential)
                return
        raise UnauthorizedError(denied)
