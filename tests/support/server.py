"""Start a real Berth server on a free loopback port, as a separate process."""
from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
import yaml

ROOT = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "Berth-Test-Admin-1"


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """``count`` different free ports: all held at once while chosen, so none is handed out twice."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class BerthServer:
    """One Berth process; ``restart`` keeps the data directory and the port."""

    def __init__(self, data_dir: Path, settings: dict | None = None, workers: int = 1,
                 port: int | None = None, env: dict[str, str] | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.workers = workers
        self.settings = settings or {}
        self.env = env or {}
        self.proc: subprocess.Popen | None = None
        self.log_path = self.data_dir.parent / f"berth-{self.port}.log"

    @property
    def url(self) -> str:
        scheme = "https" if self.settings.get("http", {}).get("tls_certificate") else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> "BerthServer":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir.parent / f"berth-{self.port}.yml"
        config.write_text(yaml.safe_dump(self.settings))
        env = {**os.environ, "BERTH_ADMIN_PASSWORD": ADMIN_PASSWORD, "PYTHONUNBUFFERED": "1", **self.env}
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "registry.cli", "serve", "--config", str(config), "--data", str(self.data_dir),
             "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        atexit.register(self._kill_left_over, self.proc)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"berth exited with {self.proc.returncode}:\n{self.log()}")
            try:
                requests.get(f"{self.url}/v2/", timeout=1, verify=False)
                return self
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.05)
        raise RuntimeError(f"berth did not start within {timeout}s:\n{self.log()}")

    @staticmethod
    def _kill_left_over(proc: subprocess.Popen) -> None:
        """Whatever a failing test left running ends with the test run."""
        if proc.poll() is None:
            proc.kill()

    def log(self, tail: int = 5000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except FileNotFoundError:
            return ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code, self.proc = self.proc.returncode, None
        return code

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def restart(self) -> "BerthServer":
        self.stop()
        return self.start()
