"""Running the app: listening sockets, TLS, worker processes and signals.

Several workers each bind the same port with SO_REUSEPORT, so the kernel spreads
connections across processes with no proxy in front. Migrations run once in the
parent before any worker starts.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import ssl
import sys

from aiohttp import web

from registry.server.bootstrap import first_start
from registry.config import Config, ConfigError
from registry.server.wiring import open_registry
from registry.server.app import create_app
from registry.distribution.mirror import create_mirror_app
from registry.http.appkeys import SERVICES
from registry.http.inflight import INFLIGHT
from registry.http.protocol_errors import JsonErrorAppRunner
from registry.server import listening, metrics
from registry.server.logs import AccessLog, configure_logging

log = logging.getLogger("berth")
# Held back from process start until a process can handle them, so an early SIGTERM stops a
# starting worker gracefully instead of killing it.
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def _ssl_context(config: Config) -> ssl.SSLContext | None:
    cert, key = config["http.tls_certificate"], config["http.tls_key"]
    if not cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key or None)
    return context


def _listen(host: str, port: int, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def _install_uvloop() -> None:
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


async def prepare(config: Config) -> None:
    """One-time work before serving: migrate the schema, create the admin and the signing key."""
    try:
        registry = await open_registry(config)
    except ValueError as exc:  # how the stores word a bad setting: shown as one, not as a traceback
        raise ConfigError(str(exc)) from None
    try:
        await first_start(registry.services, config)
    finally:
        await registry.close()


def _serve_one(config: Config, sock: socket.socket, announce: bool) -> None:
    _install_uvloop()
    mirror = (_listen(config["http.host"], config["mirror.port"], reuse_port=config["http.workers"] > 1)
              if config["mirror.port"] else None)
    asyncio.run(_serve_until_signalled(config, sock, announce, mirror))


async def _serve_until_signalled(config: Config, sock: socket.socket, announce: bool,
                                 mirror_sock: socket.socket | None = None) -> None:
    """Serve until SIGTERM or SIGINT, then shut down gracefully.

    The listening sockets close first; running handlers then get up to
    ``http.shutdown_timeout`` to finish (an upload keeps receiving its body, which
    aiohttp's own shutdown would stop reading); then aiohttp closes the connections
    and the app's cleanup runs, which flushes the pull counters.
    """
    app = create_app(config)
    timeout = float(config["http.shutdown_timeout"])
    # The access logger sees each answer once it is sent: it writes the line and records the metrics.
    doing = AccessLog.doing(lines=config["http.access_log"], record_metrics=config["metric.enabled"])
    access = {"access_log": logging.getLogger("berth.access") if doing else None,
              "access_log_class": AccessLog, "access_log_format": doing}
    runner = JsonErrorAppRunner(
        app, handle_signals=False, shutdown_timeout=timeout,
        # aiohttp closes a connection whose request has not fully arrived (or that sits idle)
        # this long after it opened or after its last response: slowloris protection.
        keepalive_timeout=float(config["http.header_timeout"]),
        **access,
    )
    metrics_sock = (_listen(config["http.host"], config["metric.port"], reuse_port=config["http.workers"] > 1)
                    if config["metric.enabled"] else None)
    await runner.setup()
    mirror: web.AppRunner | None = None
    scrapes = None
    try:
        site = web.SockSite(runner, sock, shutdown_timeout=timeout, ssl_context=_ssl_context(config))
        await site.start()
        sites = [site]
        if mirror_sock is not None:  # the transparent mirror, over the same services
            mirror = JsonErrorAppRunner(create_mirror_app(app[SERVICES], config, app[INFLIGHT]),
                                        handle_signals=False, shutdown_timeout=timeout,
                                        keepalive_timeout=float(config["http.header_timeout"]), **access)
            await mirror.setup()
            sites.append(web.SockSite(mirror, mirror_sock, shutdown_timeout=timeout,
                                      ssl_context=_ssl_context(config)))
            await sites[-1].start()
        scrapes = await metrics.start_listener(config, app, metrics_sock)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            loop.add_signal_handler(signum, stop.set)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        await stop.wait()
        if announce:
            log.info("Berth shutting down: no new connections; running requests get %.0fs", timeout)
        for running in sites:
            await running.stop()
        if not await app[INFLIGHT].drained(timeout):
            log.warning("shutdown: requests still running after %.0fs are cut off", timeout)
    finally:
        if scrapes is not None:
            await scrapes.cleanup()
        if mirror is not None:
            await mirror.cleanup()
        await runner.cleanup()


def serve(config: Config) -> int:
    configure_logging(config)
    metrics.check(config)
    shared = metrics.share_between_workers(config)  # before anything records a metric, and before forking
    try:
        return _serve(config, shared)
    finally:
        if shared is not None:
            shared.remove()


def _serve(config: Config, shared: metrics.SharedMetrics | None) -> int:
    host, port, workers = config["http.host"], config["http.port"], max(1, config["http.workers"])
    asyncio.run(prepare(config))
    scheme = "https" if config["http.tls_certificate"] else "http"
    shown_host = f"[{host}]" if ":" in host else host
    listening.record(config.data_dir, listening.local_url(scheme, host, port))
    log.info("Berth listening on %s://%s:%d with %d worker(s); data in %s",
             scheme, shown_host, port, workers, config.data_dir)
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)  # workers inherit it
    if workers == 1:
        _serve_one(config, _listen(host, port, reuse_port=False), announce=True)
        log.info("Berth stopped")
        return 0
    children: list[int] = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                _serve_one(config, _listen(host, port, reuse_port=True), announce=False)
            except BaseException:
                log.exception("worker failed")
                code = 1
            os._exit(code)
        children.append(pid)

    def forward(signum: int, _frame) -> None:
        if not stopping:
            stopping.append(signum)
            log.info("Berth shutting down: %d worker(s) finish their running requests within %.0fs",
                     workers, float(config["http.shutdown_timeout"]))
        for child in children:
            try:
                os.kill(child, signum)
            except ProcessLookupError:
                pass

    stopping: list[int] = []
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    status = 0
    for child in children:
        while True:
            try:
                _, code = os.waitpid(child, 0)
                break
            except InterruptedError:
                continue
        status = status or os.waitstatus_to_exitcode(code)
        if shared is not None:
            shared.worker_exited(child)
    log.info("Berth stopped")
    sys.stdout.flush()
    return status
