"""A private containerd (Debian's 1.6) and its ``ctr`` client, as root, for the client tests
and as the runtime under the private dockerd.

Every path it uses (content, snapshots, state, sockets, the opt plugin's folder) is under
one temporary folder, so it never meets the machine's own containerd. The CRI plugin is
off: only ``ctr`` talks to it.
"""
from __future__ import annotations

import shutil
import socket
import tempfile
from pathlib import Path

import pytest

from tests.support.daemon import Daemon, require, run

NAMESPACE = "test"


def unix_socket_listens(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as sock:
        try:
            sock.connect(str(path))
        except OSError:
            return False
    return True


class Containerd(Daemon):
    name = "containerd"

    def __init__(self) -> None:
        # A short folder under /tmp: a unix socket path must stay below 108 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="ctd", dir="/tmp"))
        super().__init__(self.root / "containerd.log")
        self.address = self.root / "containerd.sock"
        self.binary = require("containerd", "containerd")
        self.ctr_binary = require("ctr", "containerd")

    def config(self) -> str:
        return "\n".join([
            "version = 2",
            f'root = "{self.root / "root"}"',
            f'state = "{self.root / "state"}"',
            'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
            "[grpc]", f'  address = "{self.address}"',
            "[ttrpc]", f'  address = "{self.address}.ttrpc"',
            "[debug]", f'  address = "{self.root / "debug.sock"}"',
            "[metrics]", '  address = ""',
            '[plugins."io.containerd.internal.v1.opt"]', f'  path = "{self.root / "opt"}"',
            "",
        ])

    def start(self) -> "Containerd":
        config = self.root / "config.toml"
        config.write_text(self.config())
        self.launch([self.binary, "--config", str(config)], lambda: unix_socket_listens(self.address))
        return self

    def stop(self, timeout: float = 20.0) -> None:
        super().stop(timeout)
        shutil.rmtree(self.root, ignore_errors=True)

    def ctr(self, *args: str, check: bool = True, timeout: float = 60.0):
        """``ctr -a SOCK -n test ARGS``; a failure carries ctr's output and containerd's log."""
        return run([self.ctr_binary, "-a", str(self.address), "-n", NAMESPACE, *args], f"ctr {' '.join(args)}", self,
                   timeout=timeout, check=check)


@pytest.fixture(scope="module")
def containerd():
    """A private containerd for the tests of one module, stopped at its end whatever they did."""
    daemon = Containerd().start()
    yield daemon
    daemon.stop()
