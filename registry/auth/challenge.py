"""``WWW-Authenticate`` challenges that send clients to Berth's token service."""
from __future__ import annotations

from aiohttp import web

from registry.auth.access import Scope
from registry.core.errors import RegistryError


def external_url(request: web.Request, configured: str) -> str:
    if configured:
        return configured.rstrip("/")
    return f"{request.scheme}://{request.host}"


def challenge(request: web.Request, configured_url: str, service: str, scopes: list[Scope],
              error: str | None = None, message: str = "authentication required") -> RegistryError:
    """401 UNAUTHORIZED with a Bearer challenge naming the realm, service, scopes and error."""
    params = [f'realm="{external_url(request, configured_url)}/service/token"', f'service="{service}"']
    if scopes:
        params.append(f'scope="{" ".join(str(s) for s in scopes)}"')
    if error:
        params.append(f'error="{error}"')
    failure = RegistryError(
        "UNAUTHORIZED", message,
        [{"Type": s.type, "Name": s.name, "Action": a} for s in scopes for a in s.actions] or None,
    )
    failure.headers["WWW-Authenticate"] = "Bearer " + ",".join(params)
    failure.headers["Docker-Distribution-API-Version"] = "registry/2.0"
    return failure
