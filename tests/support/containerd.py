"""A private containerd (Debian's 1.6) and its ``ctr`` client, as root, for the client tests
and as the runtime under the private dockerd.

Every path it uses (content, snapshots, state, sockets, the opt plugin's folder) is under
one temporary folder, so it never meets the machine's own containerd. The CRI plugin is
off unless asked for (``Containerd(cri=True)``, the node agent's runtime): then it serves
CRI on the same socket, stores images in namespace ``k8s.io``, and needs no CNI for images.
``disk="64m"`` puts its root on a tmpfs of that size: an image filesystem whose fullness
only containerd changes, for image garbage collection.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.support.daemon import Daemon, require, run

NAMESPACE = "test"
CRI_NAMESPACE = "k8s.io"  # where the CRI plugin keeps what a kubelet pulls


def unix_socket_listens(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as sock:
        try:
            sock.connect(str(path))
        except OSError:
            return False
    return True


class Containerd(Daemon):
    name = "containerd"

    def __init__(self, cri: bool = False, disk: str | None = None) -> None:
        self.cri = cri
        self.disk = disk
        # A short folder under /tmp: a unix socket path must stay below 108 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="ctd", dir="/tmp"))
        super().__init__(self.root / "containerd.log")
        self.address = self.root / "containerd.sock"
        self.binary = require("containerd", "containerd")
        self.ctr_binary = require("ctr", "containerd")

    @property
    def endpoint(self) -> str:
        """The CRI endpoint, as the kubelet's ``--container-runtime-endpoint`` names it."""
        return f"unix://{self.address}"

    def _cri_tables(self) -> list[str]:
        """The CRI plugin's settings: no TCP or public streaming port, CNI and registry hosts under the root."""
        cri = 'plugins."io.containerd.grpc.v1.cri"'
        return [
            f"[{cri}]", "  disable_tcp_service = true", '  stream_server_address = "127.0.0.1"',
            '  stream_server_port = "0"', "  disable_apparmor = true",
            f"[{cri}.cni]", f'  bin_dir = "{self.root / "cni" / "bin"}"', f'  conf_dir = "{self.root / "cni" / "conf"}"',
            f"[{cri}.registry]", f'  config_path = "{self.root / "certs.d"}"',
        ]

    def config(self) -> str:
        return "\n".join([
            "version = 2",
            f'root = "{self.root / "root"}"',
            f'state = "{self.root / "state"}"',
            *([] if self.cri else ['disabled_plugins = ["io.containerd.grpc.v1.cri"]']),
            "[grpc]", f'  address = "{self.address}"',
            "[ttrpc]", f'  address = "{self.address}.ttrpc"',
            "[debug]", f'  address = "{self.root / "debug.sock"}"',
            "[metrics]", '  address = ""',
            '[plugins."io.containerd.internal.v1.opt"]', f'  path = "{self.root / "opt"}"',
            *(self._cri_tables() if self.cri else []),
            "",
        ])

    def start(self) -> "Containerd":
        if self.disk:
            (self.root / "root").mkdir()
            subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.disk}", "tmpfs", str(self.root / "root")],
                           check=True, capture_output=True)
        config = self.root / "config.toml"
        config.write_text(self.config())
        self.launch([self.binary, "--config", str(config)], lambda: unix_socket_listens(self.address))
        return self

    def stop(self, timeout: float = 20.0) -> None:
        super().stop(timeout)
        if self.disk:
            subprocess.run(["umount", "--lazy", str(self.root / "root")], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def ctr(self, *args: str, check: bool = True, timeout: float = 60.0, namespace: str = NAMESPACE):
        """``ctr -a SOCK -n NAMESPACE ARGS``; a failure carries ctr's output and containerd's log."""
        return run([self.ctr_binary, "-a", str(self.address), "-n", namespace, *args], f"ctr {' '.join(args)}", self,
                   timeout=timeout, check=check)


@pytest.fixture(scope="module")
def containerd():
    """A private containerd for the tests of one module, stopped at its end whatever they did."""
    daemon = Containerd().start()
    yield daemon
    daemon.stop()
