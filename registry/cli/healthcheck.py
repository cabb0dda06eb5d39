"""``berth healthcheck``: exit 0 when the local server answers its health check as healthy.

Meant for a container's HEALTHCHECK: it finds the server where ``berth serve`` last said
it listens (a record in the data directory), else where the configuration says, and
reads ``/api/v2.0/health`` (``--live``: ``/api/v2.0/ping``, only whether it answers).
"""
from __future__ import annotations

import argparse
import json
import ssl
import sys
import urllib.error
import urllib.request
from collections.abc import Callable

from registry.config import Config
from registry.server.listening import local_url, recorded


def _url(config: Config) -> str:
    scheme = "https" if config["http.tls_certificate"] else "http"
    return recorded(config.data_dir) or local_url(scheme, config["http.host"], config["http.port"])


def check(config: Config, live: bool, timeout: float) -> int:
    base = _url(config)
    path = "/api/v2.0/ping" if live else "/api/v2.0/health"
    # The server's own certificate need not name the loopback address it is reached at here.
    context = None
    if base.startswith("https:"):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(base + path, timeout=timeout, context=context) as response:
            body = response.read()
    except (urllib.error.URLError, OSError) as exc:
        print(f"berth healthcheck: {base}: {getattr(exc, 'reason', exc)}", file=sys.stderr)
        return 1
    if live:
        return 0
    try:
        health = json.loads(body)
    except ValueError:
        print(f"berth healthcheck: {base}{path} did not answer JSON", file=sys.stderr)
        return 1
    unhealthy = [c for c in health.get("components", []) if c.get("status") != "healthy"]
    for component in unhealthy:
        print(f"berth healthcheck: {component.get('name')}: {component.get('error', 'unhealthy')}", file=sys.stderr)
    return 0 if health.get("status") == "healthy" else 1


def add_command(commands, config_args: Callable[[argparse.ArgumentParser], None],
                load: Callable[[argparse.Namespace], Config]) -> None:
    parser = commands.add_parser("healthcheck", help="exit 0 when the local server reports itself healthy")
    config_args(parser)
    parser.add_argument("--live", action="store_true", help="only check that it answers (/api/v2.0/ping)")
    parser.add_argument("--timeout", type=float, default=4.0, help="seconds to wait for the answer")
    parser.set_defaults(run=lambda args: check(load(args), args.live, args.timeout))
