"""Log lines: plain text or one JSON object per line, and the access log that also feeds metrics.

aiohttp calls the access logger once a response has been sent completely, which is
the one moment its status, its size and its duration are all known, so the HTTP
request metrics are recorded there too. Access lines show the path with the values
of secret-looking query parameters replaced, never a header: credentials travel in
``Authorization`` and bodies, which no line repeats.
"""
from __future__ import annotations

import datetime
import json
import logging
import re
from urllib.parse import parse_qsl, urlencode

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest

from registry.config import Config, ConfigError
from registry.core import metrics
from registry.http.observe import REQUEST_ID, route_of, seconds_since_start

FORMATS = ("text", "json")
_SECRET_PARAMETER = re.compile(r"pass|secret|token|key|auth|credential|code|signature", re.IGNORECASE)
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def _when(created: float) -> str:
    moment = datetime.datetime.fromtimestamp(created, datetime.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per record; the fields an access line adds come as top-level keys."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": _when(record.created), "level": record.levelname.lower(), "logger": record.name,
                 "message": record.getMessage()}
        request_id = getattr(record, "request_id", "") or REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(config: Config) -> None:
    """Apply ``log.level`` and ``log.format`` to the handlers the command installed."""
    chosen = config["log.format"]
    if chosen not in FORMATS:
        raise ConfigError(f"log.format must be text or json, not {chosen!r}")
    root = logging.getLogger()
    root.setLevel(config["log.level"].upper())
    if chosen == "json":
        for handler in root.handlers:
            handler.setFormatter(JsonFormatter())


def shown_path(request: BaseRequest) -> str:
    """The request's path and query, with the values of secret-looking parameters hidden."""
    if not request.query_string:
        return request.path
    pairs = [(k, "***" if _SECRET_PARAMETER.search(k) else v)
             for k, v in parse_qsl(request.query_string, keep_blank_values=True)]
    return f"{request.path}?{urlencode(pairs, safe=':/,*@')}"


def _sent(request: BaseRequest, response: web.StreamResponse) -> int:
    """Bytes of the answer; a file sent with sendfile passes aiohttp's byte count, so its length counts."""
    sent = response.body_length
    if request.method != "HEAD" and response.content_length and sent < response.content_length:
        return response.content_length
    return sent


class AccessLog(AbstractAccessLogger):
    """Records each answered request in the metrics and/or writes its access line.

    ``log_format`` names what to do (see :meth:`doing`), since aiohttp builds the
    logger itself from a logger and a format string.
    """

    @staticmethod
    def doing(lines: bool, record_metrics: bool) -> str:
        return ",".join(part for part, on in (("lines", lines), ("metrics", record_metrics)) if on)

    def log(self, request: BaseRequest, response: web.StreamResponse, time: float) -> None:
        route = route_of(request)
        time = seconds_since_start(request, time)
        received = request.content.total_bytes
        sent = _sent(request, response)
        if "metrics" in self.log_format:
            metrics.request_answered(route, request.method, response.status, time, received, sent)
        if "lines" not in self.log_format:
            return
        principal = request.get("identity")
        user = principal.name if principal is not None and principal.name else "-"
        remote = request.remote or "-"
        path = shown_path(request)
        agent = request.headers.get("User-Agent", "-")
        self.logger.info(
            '%s "%s %s HTTP/%d.%d" %d %d %.6fs "%s" %s', remote, request.method, path, *request.version,
            response.status, sent, time, agent, user,
            extra={"request_id": request.get("request_id", ""), "method": request.method, "route": route,
                   "path": path, "status": response.status, "bytes": sent, "bytes_received": received,
                   "duration": round(time, 6), "user": user, "remote": remote, "user_agent": agent})
