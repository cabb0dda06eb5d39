"""The Prometheus endpoint: its own listener (``metric.port``, ``metric.path``), as in Harbor.

Workers share the main port, so a scrape reaches any one of them; every worker
therefore keeps its metrics in files of a directory all of them share
(prometheus-client's multiprocess mode) and the one scraped adds them all up. The
directory is made fresh for each ``berth serve`` (or, when ``PROMETHEUS_MULTIPROC_DIR``
is set, emptied), and a worker that exits has its live gauges removed. Project figures
are read from the database at scrape time, so every worker answers the same.
The listener is separate so that figures naming private projects are not served to
whoever can reach the registry.
"""
from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from prometheus_client import REGISTRY, CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from registry.config import Config, ConfigError
from registry.core import metrics
from registry.core.services import Services
from registry.http.appkeys import SERVICES

log = logging.getLogger("berth.metrics")


def check(config: Config) -> None:
    if not config["metric.enabled"]:
        return
    port, path = config["metric.port"], config["metric.path"]
    if not 0 < port < 65536:
        raise ConfigError(f"metric.port must be between 1 and 65535, not {port}")
    if port == config["http.port"]:
        raise ConfigError("metric.port must differ from http.port: metrics have a listener of their own")
    if not path.startswith("/") or "{" in path:
        raise ConfigError(f"metric.path must be a path starting with /, not {path!r}")


@dataclass(frozen=True)
class SharedMetrics:
    """The directory the processes of one ``berth serve`` keep their metrics in."""

    directory: Path
    owned: bool  # made by this serve, so removed when it ends

    def worker_exited(self, pid: int) -> None:
        """Drop a finished worker's live gauges (its counters stay: they only ever go up)."""
        mark_process_dead(pid, str(self.directory))

    def remove(self) -> None:
        if self.owned:
            shutil.rmtree(self.directory, ignore_errors=True)


def share_between_workers(config: Config) -> SharedMetrics | None:
    """Before anything is recorded: keep metrics in a clean directory every process writes to."""
    if not config["metric.enabled"]:
        return None
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        shared = SharedMetrics(Path(given), owned=False)
        shared.directory.mkdir(parents=True, exist_ok=True)
        for stale in shared.directory.glob("*.db"):
            stale.unlink()
    else:
        shared = SharedMetrics(Path(tempfile.mkdtemp(prefix="berth-metrics-")), owned=True)
    metrics.share_between_processes(shared.directory)
    return shared


class _Scrape:
    """One scrape's collectors: every process's recorded metrics, then figures read just now."""

    def __init__(self, figures: list) -> None:
        self.figures = figures

    def collect(self) -> Iterator:
        directory = metrics.shared_directory()
        recorded: Collector = MultiProcessCollector(None, str(directory)) if directory else REGISTRY
        yield from recorded.collect()
        yield from self.figures


async def exposition(services: Services) -> bytes:
    """Everything recorded, and the figures read now; when the database cannot answer, the
    recorded metrics still go out (an outage is when they are wanted most)."""
    try:
        figures = metrics.registry_families(await services.catalog.figures(),
                                            await services.uploads.open_sessions())
    except Exception:
        log.warning("metrics: project figures could not be read", exc_info=True)
        figures = []
    return generate_latest(_Scrape(figures))


def metrics_app(config: Config, registry_app: web.Application) -> web.Application:
    """A small app of its own, so metric scrapes are neither routed nor counted as registry requests."""
    async def scrape(request: web.Request) -> web.Response:
        body = await exposition(registry_app[SERVICES])
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get(config["metric.path"], scrape)
    return app


async def start_listener(config: Config, registry_app: web.Application,
                         sock: socket.socket | None) -> web.AppRunner | None:
    """Serve the metrics on ``sock`` (None: metrics are off); the caller cleans the runner up."""
    if sock is None:
        return None
    metrics.worker_started()
    runner = web.AppRunner(metrics_app(config, registry_app), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner
