"""The processes under test: Berth, CNCF Distribution and nginx, each on its own port.

Every server starts under ``taskset`` with the CPUs it is given, so that the load
generator (this process and its children) never competes with it for a core.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from bench.procinfo import memory_mib, reset_peak

ROOT = Path(__file__).resolve().parents[1]
DISTRIBUTION = "/usr/bin/docker-registry"
ADMIN_PASSWORD = "Bench-Admin-Pass-1"
SERVICE = "harbor-registry"
ISSUER = "harbor-token-issuer"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A process listening on 127.0.0.1:port, started with a CPU set."""

    name = "server"
    root = ROOT  # working directory: for Berth, the checkout whose code is measured

    def __init__(self, workdir: Path, cpus: str | None) -> None:
        self.workdir = workdir
        self.cpus = cpus
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = workdir / f"{self.name}-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return dict(os.environ)

    def start(self, timeout: float = 30.0) -> "Server":
        prefix = ["taskset", "-c", self.cpus] if self.cpus else []
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(prefix + self.command(), cwd=self.root, env=self.env(),
                                         stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_path.read_text(errors='replace')[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not listen on {self.port} within {timeout}s")

    def memory(self) -> dict[str, float]:
        assert self.proc is not None
        return memory_mib(self.proc.pid)

    def reset_peak(self) -> None:
        assert self.proc is not None
        reset_peak(self.proc.pid)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@contextmanager
def running(*servers: Server) -> Iterator[tuple[Server, ...]]:
    """Start the servers in order; stop those that started, whatever happens."""
    started: list[Server] = []
    try:
        for server in servers:
            started.append(server.start())
        yield servers
    finally:
        for server in started:
            server.stop()


class Berth(Server):
    name = "berth"

    def __init__(self, workdir: Path, data: Path, cpus: str | None, *, auth: bool,
                 access_log: bool = False, workers: int = 1, fsync: bool = True, extra: dict | None = None) -> None:
        super().__init__(workdir, cpus)
        self.data = data
        self.workers = workers
        self.config = workdir / f"berth-{self.port}.yml"
        self.config.write_text(yaml.safe_dump({
            "http": {"access_log": access_log},
            "auth": {"enabled": auth},
            "storage": {"fsync": fsync},
            "limits": {"anonymous_tokens_per_second": 0, "upload_sessions_per_client": 1_000_000},
            "log": {"level": "warning"},
            **(extra or {}),
        }))

    def _cli(self, *command: str) -> list[str]:
        return [sys.executable, "-m", "registry.cli", *command, "--config", str(self.config), "--data", str(self.data)]

    def command(self) -> list[str]:
        return self._cli("serve") + ["--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)]

    def env(self) -> dict[str, str]:
        return {**os.environ, "BERTH_ADMIN_PASSWORD": ADMIN_PASSWORD}

    def create_project(self, project: str) -> None:
        """Projects must exist before authenticated pulls; the admin CLI works offline."""
        for command in (("init",), ("project", "create", project)):
            subprocess.run(self._cli(*command), cwd=self.root, env=self.env(), check=True, capture_output=True)


def htpasswd_line(user: str, password: str) -> str:
    """A bcrypt entry at ``htpasswd -B``'s default cost (5), as a Distribution admin would make."""
    try:
        import bcrypt
    except ImportError:
        out = subprocess.run(["htpasswd", "-Bbn", user, password], check=True, capture_output=True, text=True)
        return out.stdout.strip()
    return f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=5)).decode()}"


class Distribution(Server):
    """``docker-registry serve``: filesystem storage, delete on, access log off unless asked for."""

    name = "distribution"

    def __init__(self, workdir: Path, storage: Path, cpus: str | None, auth: dict | None = None,
                 access_log: bool = False) -> None:
        super().__init__(workdir, cpus)
        config = {
            "version": 0.1,
            "log": {"level": "error", "accesslog": {"disabled": not access_log}},
            "storage": {"filesystem": {"rootdirectory": str(storage)}, "delete": {"enabled": True}},
            "http": {"addr": f"127.0.0.1:{self.port}", "secret": uuid.uuid4().hex},
        }
        if auth:
            config["auth"] = auth
        self.config = workdir / f"distribution-{self.port}.yml"
        self.config.write_text(yaml.safe_dump(config))

    def command(self) -> list[str]:
        return [DISTRIBUTION, "serve", str(self.config)]

    def requests(self) -> int:
        """Registry requests its access log shows so far (with ``access_log``)."""
        log = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return sum(1 for line in log.splitlines() if '"GET /v2/' in line or '"HEAD /v2/' in line)

    @staticmethod
    def htpasswd_auth(workdir: Path, user: str, password: str) -> dict:
        path = workdir / "htpasswd"
        path.write_text(htpasswd_line(user, password) + "\n")
        return {"htpasswd": {"realm": "bench", "path": str(path)}}

    @staticmethod
    def token_auth(berth: Berth) -> dict:
        """Trust the tokens Berth issues (its signing certificate is exported as token.crt)."""
        return {"token": {"realm": f"{berth.url}/service/token", "service": SERVICE, "issuer": ISSUER,
                          "rootcertbundle": str(berth.data / "token.crt")}}


class Nginx(Server):
    """The machine's ceiling: static files with sendfile, one process, no logging."""

    name = "nginx"

    def __init__(self, workdir: Path, root: Path, cpus: str | None) -> None:
        super().__init__(workdir, cpus)
        self.config = workdir / f"nginx-{self.port}.conf"
        temp = workdir / "nginx-temp"
        temp.mkdir(exist_ok=True)
        self.config.write_text(f"""
daemon off;
master_process off;
worker_processes 1;
pid {workdir}/nginx-{self.port}.pid;
error_log {workdir}/nginx-error.log error;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path {temp};
    proxy_temp_path {temp};
    fastcgi_temp_path {temp};
    uwsgi_temp_path {temp};
    scgi_temp_path {temp};
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{self.port};
        root {root};
    }}
}}
""")

    def command(self) -> list[str]:
        return ["nginx", "-c", str(self.config)]
