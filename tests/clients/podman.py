"""podman run as a test client: its own storage, run root and auth file, nothing of the machine's."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


class Podman:
    def __init__(self, home: Path) -> None:
        binary = shutil.which("podman")
        if binary is None:
            pytest.fail("podman is not installed: apt-get install -y podman")
        # podman refuses a run root longer than 50 characters: keep it short.
        self.runroot = tempfile.mkdtemp(prefix="pm", dir="/tmp")
        self.base = [binary, "--root", str(home / "storage"), "--runroot", self.runroot,
                     "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "none"]
        self.env = {**os.environ, "HOME": str(home), "REGISTRY_AUTH_FILE": str(home / "auth.json"),
                    "XDG_RUNTIME_DIR": str(home / "xdg")}
        (home / "xdg").mkdir(parents=True, exist_ok=True)
        (home / "auth.json").write_text("{}")

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([*self.base, *args], capture_output=True, text=True, env=self.env, timeout=180)
        if check and result.returncode != 0:
            raise AssertionError(f"podman {' '.join(args)} failed:\n{result.stderr}")
        return result
