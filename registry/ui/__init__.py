"""The web UI: static files served by Berth itself, talking only to /api/v2.0."""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).resolve().parent / "static"
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers=_HEADERS)


async def check() -> None:
    """The health probe of the web UI (Harbor's "portal"): its page is there to be served."""
    if not (STATIC / "index.html").is_file():
        raise FileNotFoundError(f"the web UI's files are missing from {STATIC}")


async def _revalidate(request: web.Request, response: web.StreamResponse) -> None:
    """The page's modules are fetched by plain names: browsers must ask again (a 304 when unchanged), or an
    upgrade could run new modules beside old ones."""
    if request.path.startswith("/ui/"):
        response.headers.setdefault("Cache-Control", "no-cache")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_static("/ui/", STATIC, append_version=True)
    app.on_response_prepare.append(_revalidate)
