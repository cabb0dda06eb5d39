"""Requests aiohttp's HTTP parser refuses get the JSON error shape both APIs share.

Such a request never reaches the app's middlewares (its path may not even be known), so
aiohttp answers it itself, in ``RequestHandler.handle_error``, as ``text/plain``.
Berth's handler class keeps aiohttp's logging and connection handling and changes
only the body: ``{"errors": [{"code", "message"}]}``, then the connection closes.
This leans on aiohttp's server classes (``web.Server.__call__`` building the protocol
from the keyword arguments the server was given, ``AppRunner._make_server`` building
the server); pyproject.toml pins the aiohttp versions this is tested with, and
tests/distribution/test_malformed_http.py checks it.
"""
from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from registry.http.errors import HTTP_CODES

_QUOTED_REQUEST = re.compile(r":\s*(?:bytearray\()?b['\"]")


def _what_is_wrong(parser_message: str) -> str:
    """The parser's words without the quote of the request it appends (bytes, a caret)."""
    first_line = parser_message.strip().split("\n")[0]
    return _QUOTED_REQUEST.split(first_line)[0].rstrip(": ")[:200] or "malformed request"


class _JsonErrorHandler(RequestHandler):
    def handle_error(self, request: Any, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        plain = super().handle_error(request, status, exc, message)  # logs; refuses after a partial reply
        if status >= 500:
            text = "internal error; see the server log"
        else:
            text = _what_is_wrong(message or plain.reason or "")
        body = {"errors": [{"code": HTTP_CODES.get(status, "BAD_REQUEST"), "message": text}]}
        response = web.Response(status=status, body=json.dumps(body).encode(),
                                headers={"Content-Type": "application/json"})
        response.force_close()
        return response


class _JsonErrorServer(web.Server):
    def __call__(self) -> RequestHandler:
        return _JsonErrorHandler(self, loop=self._loop, **self._kwargs)


class JsonErrorAppRunner(web.AppRunner):
    """An AppRunner whose connections answer unparseable requests in JSON."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        return _JsonErrorServer(server.request_handler, request_factory=server.request_factory,
                                handler_cancellation=server.handler_cancellation, **server._kwargs)
