"""A private Docker daemon (Debian's docker.io, dockerd 20.10) and the docker CLI pointed at it.

The daemon keeps everything under one temporary folder: its data and exec roots, socket,
pid file and trust key (``deprecated-key-path`` in its own ``daemon.json``), so neither
``/etc/docker/key.json`` nor ``/etc/docker/daemon.json`` is touched. It runs on a private
containerd rather than the machine's, with no bridge, no iptables and the vfs storage
driver, which is what works as root here. Each CLI has its own ``DOCKER_CONFIG`` folder,
so ``~/.docker`` is never read or written. Docker treats 127.0.0.0/8 as an insecure
registry by itself: plain HTTP to the test server needs no configuration.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from tests.support.containerd import Containerd
from tests.support.daemon import Daemon, require, run


def ping(sock: Path) -> bool:
    """The Engine API's ``GET /_ping`` answers OK once the daemon serves requests."""
    with socket.socket(socket.AF_UNIX) as conn:
        conn.settimeout(2)
        try:
            conn.connect(str(sock))
            conn.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            return conn.recv(4096).split(b"\r\n\r\n", 1)[-1] == b"OK"
        except OSError:
            return False


class DockerDaemon(Daemon):
    name = "dockerd"

    def __init__(self, settings: dict | None = None, env: dict[str, str] | None = None) -> None:
        """``settings`` go into the daemon's own daemon.json; ``env`` is added to its environment."""
        self.settings = settings or {}
        self.env = {**os.environ, **(env or {})}
        # A short folder under /tmp: unix socket paths must stay below 108 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="dkd", dir="/tmp"))
        super().__init__(self.root / "dockerd.log")
        self.socket = self.root / "docker.sock"
        self.binary = require("dockerd", "docker.io")
        self.cli_binary = require("docker", "docker.io")
        self.containerd = Containerd()

    def start(self) -> "DockerDaemon":
        self.containerd.start()
        config = self.root / "daemon.json"
        config.write_text(json.dumps({"deprecated-key-path": str(self.root / "key.json"), **self.settings}))
        self.launch([self.binary, "--config-file", str(config), "--data-root", str(self.root / "data"),
                     "--exec-root", str(self.root / "exec"), "--pidfile", str(self.root / "docker.pid"),
                     "-H", f"unix://{self.socket}", "--containerd", str(self.containerd.address),
                     "--iptables=false", "--ip-forward=false", "--ip-masq=false", "--bridge=none",
                     "--storage-driver=vfs"],
                    lambda: ping(self.socket), timeout=60, env=self.env)
        return self

    def stop(self, timeout: float = 20.0) -> None:
        super().stop(timeout)
        self.containerd.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def cli(self, home: Path) -> "DockerCli":
        return DockerCli(self, home)


class DockerCli:
    """The docker CLI with its own ``DOCKER_CONFIG`` folder, as one user on one node."""

    def __init__(self, daemon: DockerDaemon, config_dir: Path) -> None:
        self.daemon = daemon
        self.config_dir = config_dir
        config_dir.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, "DOCKER_HOST": f"unix://{daemon.socket}", "DOCKER_CONFIG": str(config_dir),
                    "DOCKER_BUILDKIT": "0", "DOCKER_CLI_HINTS": "false"}

    @property
    def config_json(self) -> Path:
        return self.config_dir / "config.json"

    def auths(self) -> dict:
        return json.loads(self.config_json.read_text()).get("auths", {})

    def __call__(self, *args: str, check: bool = True, stdin: str | None = None,
                 timeout: float = 60.0) -> subprocess.CompletedProcess:
        return run([self.daemon.cli_binary, *args], f"docker {' '.join(args)}", self.daemon, timeout=timeout,
                   check=check, env=self.env, input=stdin)

    def build(self, tag: str, workdir: Path, files: int = 1) -> str:
        """``docker build`` of a ``FROM scratch`` image with ``files`` COPY layers of random content; its ID."""
        context = workdir / f"context-{uuid.uuid4().hex[:8]}"
        context.mkdir(parents=True)
        lines = ["FROM scratch"]
        for i in range(files):
            (context / f"file{i}.txt").write_text(f"{uuid.uuid4()}\n" * 64)
            lines.append(f"COPY file{i}.txt /usr/share/nginx/html/file{i}.txt")
        lines.append('CMD ["/usr/sbin/nginx"]')
        (context / "Dockerfile").write_text("\n".join(lines) + "\n")
        self("build", "--quiet", "-t", tag, str(context), timeout=120)
        return self("image", "inspect", "--format", "{{.Id}}", tag).stdout.strip()

    def images(self) -> set[str]:
        """Every local ``repository:tag``."""
        return set(self("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split())


@pytest.fixture(scope="module")
def dockerd():
    """A private daemon for the tests of one module, stopped at its end whatever they did."""
    daemon = DockerDaemon().start()
    yield daemon
    daemon.stop()
