"""Who is calling the management API, and may they do this?

Callers authenticate with HTTP Basic (users and robots, checked by the same cached
authenticator as /v2/) or with the web UI's session cookie; anyone else is
anonymous and sees what public projects show. A write that relies on the cookie
must carry the session's CSRF token in ``X-Harbor-CSRF-Token``, which a page on
another site cannot set. Project rights come from the permission matrix.
"""
from __future__ import annotations

from aiohttp import web

from registry.core.errors import RegistryError
from registry.core.rbac import ANONYMOUS, Principal
from registry.http.appkeys import AUTH, SERVICES
from registry.core.records import ProjectRecord

CSRF_HEADER = "X-Harbor-CSRF-Token"
SESSION_COOKIE = "sid"
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_OPEN_ACCESS = Principal("user", "admin", admin=True)


def refuse(principal: Principal, message: str) -> RegistryError:
    """401 for anonymous callers (logging in may help), 403 for everyone else."""
    if principal.anonymous:
        return RegistryError("UNAUTHORIZED", "authentication required", status=401)
    return RegistryError("FORBIDDEN", message, status=403)


async def caller(request: web.Request) -> Principal:
    if "identity" in request:
        return request["identity"]
    auth = request.app.get(AUTH)
    if auth is None:
        principal = _OPEN_ACCESS  # auth.enabled is off: Berth sits behind another gatekeeper
    else:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        cookie = request.cookies.get(SESSION_COOKIE)
        if scheme.lower() == "basic":
            principal = await auth.basic.authenticate(value, request.remote or "")
        elif header:
            raise RegistryError("UNAUTHORIZED", "unsupported Authorization scheme; use Basic", status=401)
        elif cookie:
            principal = await _session_principal(request, cookie)
        else:
            principal = ANONYMOUS
    request["identity"] = principal
    return principal


async def _session_principal(request: web.Request, cookie: str) -> Principal:
    sessions = request.app[SERVICES].sessions
    found = await sessions.resolve(cookie)
    if found is None:
        raise RegistryError("UNAUTHORIZED", "the session has ended; log in again", status=401)
    principal, csrf = found
    request["csrf"] = csrf
    if request.method in _WRITES and not sessions.csrf_ok(csrf, request.headers.get(CSRF_HEADER)):
        raise RegistryError("FORBIDDEN", f"missing or wrong {CSRF_HEADER} header", status=403)
    return principal


async def authenticated(request: web.Request) -> Principal:
    principal = await caller(request)
    if principal.anonymous:
        raise refuse(principal, "")
    return principal


async def admin(request: web.Request) -> Principal:
    principal = await authenticated(request)
    if not principal.admin:
        raise refuse(principal, "only system administrators may do this")
    return principal


async def find_project(request: web.Request, key: str, by_name: bool = False) -> ProjectRecord:
    """A project by name, or by id when the key is numeric (Harbor's ``X-Is-Resource-Name`` rule)."""
    projects = request.app[SERVICES].projects
    numeric = key.isdigit() and len(key) < 19 and request.headers.get("X-Is-Resource-Name", "").lower() != "true"
    project = await (projects.by_id(int(key)) if numeric and not by_name else projects.find(key))
    if project is None:
        raise RegistryError("NOT_FOUND", f"project {key[:255]} not found", status=404)
    return project


async def project_access(request: web.Request, need: str | None = None, *, key: str | None = None,
                         by_name: bool = False) -> tuple[Principal, ProjectRecord]:
    """The caller and the project named in the path, if the caller may ``need`` there.

    ``need=None`` asks only to see the project: any right in it (public projects give
    everyone ``pull``).
    """
    principal = await caller(request)
    project = await find_project(request, key if key is not None else request.match_info["project"], by_name)
    await require(request, principal, project, need)
    return principal, project


async def require(request: web.Request, principal: Principal, project: ProjectRecord, need: str | None) -> set[str]:
    allowed = await request.app[SERVICES].projects.actions(principal, project)
    if (need is None and not allowed) or (need is not None and need not in allowed):
        raise refuse(principal, f"{principal.name} may not {need or 'see'} in project {project.name}")
    return allowed


async def add_csrf_header(request: web.Request, response: web.StreamResponse) -> None:
    """Hand the page its CSRF token on every cookie-authenticated answer; never cache API answers."""
    csrf = request.get("csrf")
    if csrf:
        response.headers[CSRF_HEADER] = csrf
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
