"""What a request wants to do, and the port through which it is allowed or refused.

Handlers name the access they need as Docker-token-style scopes
(``repository:<name>:pull``); an access controller decides. The open controller
allows everything and exists for tests of the distribution layer alone and for
deployments behind another gatekeeper.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from aiohttp import web


@dataclass(frozen=True, slots=True)
class Scope:
    type: str  # "repository" or "registry"
    name: str
    actions: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.type}:{self.name}:{','.join(self.actions)}"


@dataclass(slots=True)
class Identity:
    """Who is calling; anonymous callers have no name."""

    name: str | None = None
    kind: str = "anonymous"  # anonymous, user, robot
    user_id: int | None = None
    admin: bool = False
    granted: dict[tuple[str, str], set[str]] = field(default_factory=dict)


class AccessController(Protocol):
    async def authorize(self, request: web.Request, scopes: list[Scope]) -> Identity:
        """Return the caller's identity or raise a RegistryError (401 or 403)."""

    async def visible_repositories(self, identity: Identity, names: list[str]) -> list[str]:
        """The subset of ``names`` the caller may see in the catalog."""


class OpenAccess:
    async def authorize(self, request: web.Request, scopes: list[Scope]) -> Identity:
        return Identity(admin=True)

    async def visible_repositories(self, identity: Identity, names: list[str]) -> list[str]:
        return names
