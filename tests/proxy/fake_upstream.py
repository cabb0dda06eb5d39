"""A small upstream registry that lies or dawdles on purpose: aiohttp on loopback in a thread.

``manifests`` and ``blobs`` map a path reference to what is served; ``delay`` slows each 64 KiB
piece of a blob, so that clients can join a fetch in flight; ``status`` makes every manifest and
blob request fail with it (429, 500 …). Every request is recorded.
"""
from __future__ import annotations

import asyncio
import threading

from aiohttp import web

from tests.support.server import free_port


class FakeUpstream:
    def __init__(self) -> None:
        self.port = free_port()
        self.manifests: dict[str, tuple[bytes, str, str]] = {}  # reference -> (body, media type, digest header)
        self.blobs: dict[str, bytes] = {}
        self.delay = 0.0
        self.status: int | None = None  # when set, every manifest and blob request gets this error status
        self.requests: list[tuple[str, str]] = []
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def count(self, method: str, part: str) -> int:
        return sum(1 for m, p in self.requests if m == method and part in p)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        path = request.path
        if path in ("/v2", "/v2/"):
            return web.json_response({})
        if self.status is not None:
            return web.json_response({"errors": [{"code": "TOOMANYREQUESTS" if self.status == 429 else "UNKNOWN",
                                                  "message": "refused\r\nX-Injected: on purpose"}]}, status=self.status)
        if "/manifests/" in path:
            found = self.manifests.get(path.rsplit("/", 1)[1])
            if found is None:
                return web.json_response({"errors": [{"code": "MANIFEST_UNKNOWN", "message": "unknown"}]}, status=404)
            body, media_type, digest = found
            headers = {"Content-Type": media_type, "Docker-Content-Digest": digest, "Content-Length": str(len(body))}
            return web.Response(body=None if request.method == "HEAD" else body, headers=headers)
        if "/blobs/" in path:
            body = self.blobs.get(path.rsplit("/", 1)[1])
            if body is None:
                return web.json_response({"errors": [{"code": "BLOB_UNKNOWN", "message": "unknown"}]}, status=404)
            response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
            response.content_length = len(body)
            await response.prepare(request)
            if request.method != "HEAD":
                for start in range(0, len(body), 65536):
                    await response.write(body[start:start + 65536])
                    if self.delay:
                        await asyncio.sleep(self.delay)
            await response.write_eof()
            return response
        return web.json_response({"errors": [{"code": "NOT_FOUND", "message": "no"}]}, status=404)

    def start(self) -> "FakeUpstream":
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", self._handle)
            self._runner = web.AppRunner(app)
            self._loop.run_until_complete(self._runner.setup())
            self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
            ready.set()
            self._loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            await self._runner.cleanup()
        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
