"""What a request wants to do, and the port through which it is allowed or refused.

Handlers name the access they need as Docker-token-style scopes
(``repository:<name>:pull``); an access controller decides. The open controller
allows everything: it serves tests of the distribution layer alone and deployments
that sit behind another gatekeeper.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

from registry.core.rbac import Principal


@dataclass(frozen=True, slots=True)
class Scope:
    type: str  # "repository" or "registry"
    name: str
    actions: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.type}:{self.name}:{','.join(self.actions)}"


class AccessController(Protocol):
    async def authorize(self, request: web.Request, scopes: list[Scope],
                        optional: list[Scope] | None = None) -> Principal:
        """Return the caller or raise a RegistryError (401 with a challenge, 403, 404).

        ``optional`` scopes are ones the request can use but does not need (pull on a
        mount's source): challenges ask for them too, so that a client that follows the
        challenge gets a token carrying them, but their absence refuses nothing.
        """

    async def visible_repositories(self, principal: Principal, names: list[str]) -> list[str]:
        """The subset of ``names`` the caller may see in the catalog."""


class OpenAccess:
    async def authorize(self, request: web.Request, scopes: list[Scope],
                        optional: list[Scope] | None = None) -> Principal:
        return Principal("user", "admin", admin=True)

    async def visible_repositories(self, principal: Principal, names: list[str]) -> list[str]:
        return names
