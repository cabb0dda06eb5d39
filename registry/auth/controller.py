"""The access decision for /v2/: who is calling, and may they do this?

Bearer tokens carry their grant; Basic credentials are checked and their rights come
from the permission matrix. Missing credentials always get a challenge (even for
public projects, as Harbor does, so that CLIs find the token service).
"""
from __future__ import annotations

from aiohttp import web

from registry.auth.access import Scope
from registry.auth.basic import BasicAuthenticator
from registry.auth.challenge import challenge
from registry.auth.tokens import InvalidToken, TokenAuthority
from registry.core.accounts import AccountService
from registry.core.errors import RegistryError
from registry.core.names import project_of
from registry.core.projects import ProjectService
from registry.core.rbac import Principal, expand
from registry.core.readcache import ReadCache


def _project_missing(name: str) -> RegistryError:
    return RegistryError("NAME_UNKNOWN", f"project {name} not found: create it before pushing", {"project": name})


class RegistryAccess:
    def __init__(self, basic: BasicAuthenticator, tokens: TokenAuthority, accounts: AccountService,
                 projects: ProjectService, external_url: str) -> None:
        self.basic = basic
        self.tokens = tokens
        self.accounts = accounts
        self.projects = projects
        self.external_url = external_url
        # Granted (principal, repository, actions), keyed by the principal object the Basic
        # cache hands out; the entry holds that object, so its id cannot be reused meanwhile.
        self._granted: ReadCache[Principal] = projects.read_cache()

    def _challenge(self, request: web.Request, scopes: list[Scope], error: str | None = None,
                   message: str = "authentication required") -> RegistryError:
        return challenge(request, self.external_url, self.tokens.service, scopes, error, message)

    async def authorize(self, request: web.Request, scopes: list[Scope],
                        optional: list[Scope] | None = None) -> Principal:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        scheme = scheme.lower()
        asked = scopes + (optional or [])  # what a challenge asks for
        if scheme == "bearer":
            return await self._bearer(request, value.strip(), scopes, asked)
        if scheme == "basic":
            try:
                principal = await self.basic.authenticate(value, request.remote or "")
            except RegistryError as error:
                if error.status != 401:
                    raise
                raise self._challenge(request, asked, message=error.message) from None
            await self._check_rights(principal, scopes)
            return principal
        raise self._challenge(request, asked)

    async def _bearer(self, request: web.Request, token: str, scopes: list[Scope], asked: list[Scope]) -> Principal:
        try:
            claims = self.tokens.verify(token)
        except InvalidToken as exc:
            raise self._challenge(request, asked, "invalid_token", f"invalid token: {exc}") from None
        principal = Principal(claims.kind if claims.subject else "anonymous", claims.subject)
        for scope in scopes:
            if scope.type == "registry":
                continue  # the catalog filters by visibility instead
            if not claims.allows(scope):
                project = await self.projects.find(project_of(scope.name))
                if project is None and claims.subject:
                    raise _project_missing(project_of(scope.name))
                raise self._challenge(request, asked, "insufficient_scope",
                                      "the token does not grant " + ",".join(scope.actions) + f" on {scope.name}")
        if any(s.type == "registry" for s in scopes) and claims.subject:
            # The catalog shows what the caller may see now, so it needs the live account.
            principal = await self.accounts.principal_for(claims.kind, claims.subject) or principal
        return principal

    async def _check_rights(self, principal: Principal, scopes: list[Scope]) -> None:
        for scope in scopes:
            if scope.type != "repository":
                continue
            key = (id(principal), scope.name, scope.actions)
            granted, marker = self._granted.lookup(key)
            if granted is principal:
                continue
            wanted = set(scope.actions)
            project = await self.projects.for_repository(principal, project_of(scope.name), wanted)
            if project is None:
                raise _project_missing(project_of(scope.name))
            missing = wanted - await self.projects.actions(principal, project)
            if missing:
                raise RegistryError("DENIED", f"{principal.name} may not {','.join(sorted(missing))} {scope.name}",
                                    {"name": scope.name, "actions": sorted(missing)})
            self._granted.store(key, principal, marker)

    async def grant(self, principal: Principal, scopes: list[Scope]) -> list[Scope]:
        """What a token for ``principal`` may carry: the requested scopes ∩ what RBAC allows."""
        granted = []
        for scope in scopes:
            if scope.type == "registry" and scope.name == "catalog":
                actions = tuple(a for a in scope.actions if principal.admin)
            elif scope.type == "repository":
                wanted = expand(set(scope.actions))
                project = await self.projects.for_repository(principal, project_of(scope.name), wanted)
                allowed = await self.projects.actions(principal, project)
                actions = tuple(a for a in ("pull", "push", "delete") if a in wanted & allowed)
            else:
                actions = ()
            granted.append(Scope(scope.type, scope.name, actions))
        return granted

    async def visible_repositories(self, principal: Principal, names: list[str]) -> list[str]:
        visible = await self.projects.visible_names(principal)
        if visible is None:
            return names
        return [n for n in names if project_of(n) in visible]
