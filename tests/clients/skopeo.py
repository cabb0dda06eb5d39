"""Run the real skopeo against a test server, with its state kept in a temporary folder."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest


class Skopeo:
    def __init__(self, home: Path, creds: tuple[str, str] | None) -> None:
        self.binary = shutil.which("skopeo")
        if self.binary is None:
            pytest.fail("skopeo is not installed: apt-get install -y skopeo")
        self.home = home
        self.creds = creds
        home.mkdir(parents=True, exist_ok=True)
        (home / "policy.json").write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))

    def env(self) -> dict[str, str]:
        return {**os.environ, "HOME": str(self.home), "XDG_RUNTIME_DIR": str(self.home),
                "REGISTRY_AUTH_FILE": str(self.home / "auth.json"),
                "CONTAINERS_REGISTRIES_CONF": str(self.home / "registries.conf")}

    def _auth(self, flag: str, creds: tuple[str, str] | None) -> list[str]:
        chosen = creds if creds is not None else self.creds
        return [flag, f"{chosen[0]}:{chosen[1]}"] if chosen else []

    def run(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        command = [self.binary, "--policy", str(self.home / "policy.json"), *args]
        result = subprocess.run(command, capture_output=True, text=True, env=self.env(), timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"skopeo {' '.join(args)} failed:\n{result.stderr}")
        return result

    def copy(self, source: str, dest: str, *extra: str, src_creds=None, dest_creds=None,
             check: bool = True, tls_verify: bool = False) -> subprocess.CompletedProcess:
        args = ["copy", *extra]
        if source.startswith("docker://"):
            args += [f"--src-tls-verify={str(tls_verify).lower()}", *self._auth("--src-creds", src_creds)]
        if dest.startswith("docker://"):
            args += [f"--dest-tls-verify={str(tls_verify).lower()}", *self._auth("--dest-creds", dest_creds)]
        return self.run(*args, source, dest, check=check)

    def remote(self, command: str, ref: str, *extra: str, creds=None, check: bool = True,
               tls_verify: bool = False) -> subprocess.CompletedProcess:
        return self.run(command, f"--tls-verify={str(tls_verify).lower()}", *self._auth("--creds", creds),
                        *extra, ref, check=check)
