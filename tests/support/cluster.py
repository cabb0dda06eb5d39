"""Two Berth processes on PostgreSQL + SeaweedFS behind nginx: the scale-out stack as one server.

With ``BERTH_TEST_STACK=scale`` the shared ``berth`` fixture is this cluster, so the
same integration tests (skopeo included) run with every request balanced round-robin
across both processes — an upload's chunks land on different processes, and a
manifest pushed through one is pulled through the other.
"""
from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import requests

from tests.support.server import BerthServer, free_port

NGINX_CONF = """\
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    upstream berth {{
        server 127.0.0.1:{a};
        server 127.0.0.1:{b};
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 0;
        large_client_header_buffers 4 32k;
        location / {{
            proxy_pass http://berth;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header Connection "";
            proxy_request_buffering off;
            proxy_buffering off;
            proxy_read_timeout 120s;
        }}
    }}
}}
"""


class BalancedCluster:
    """Looks like one BerthServer to the tests: ``url``, ``host``, ``port``, ``log()``."""

    def __init__(self, root: Path, settings: dict) -> None:
        self.root = root
        self.nodes = [BerthServer(root / name / "data", settings=settings) for name in ("a", "b")]
        self.port = free_port()
        self.data_dir = self.nodes[0].data_dir
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "BalancedCluster":
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        for node in self.nodes:
            node.start(timeout=60)
        conf_root = self.root / "nginx"
        conf_root.mkdir(parents=True, exist_ok=True)
        conf = conf_root / "nginx.conf"
        conf.write_text(NGINX_CONF.format(root=conf_root, a=self.nodes[0].port, b=self.nodes[1].port,
                                          port=self.port))
        self.proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(conf_root), "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.url}/v2/", timeout=2)
                return self
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError(f"nginx did not start: {(conf_root / 'error.log').read_text(errors='replace')}")

    def log(self, tail: int = 5000) -> str:
        return "".join(node.log(tail) for node in self.nodes)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None
        for node in self.nodes:
            node.stop()
