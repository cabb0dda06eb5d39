"""A background process of the tests' own (containerd, dockerd): started in its own
session with its output in a log file, waited for until it answers, and always stopped.

Every failure says what the daemon wrote last, so a daemon that does not come up is a
test failure with its reason, never a skip.
"""
from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest


def require(binary: str, package: str) -> str:
    """The binary's path; a failure naming the Debian package when it is missing."""
    found = shutil.which(binary)
    if found is None:
        pytest.fail(f"{binary} is not installed: apt-get install -y {package}", pytrace=False)
    return found


class Daemon:
    """One long-running process and its log; ``stop`` also ends the children it started."""

    name = "daemon"

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return "(no log)"

    def launch(self, command: Sequence[str], ready: Callable[[], bool], timeout: float = 30.0,
               env: dict[str, str] | None = None) -> None:
        """Start ``command`` (with ``env``, else this process's) and poll ``ready`` until it holds;
        fail with the log otherwise."""
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(list(command), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True, env=env)
        atexit.register(self._end, self.proc)
        problem = self._wait(ready, timeout)
        if problem:
            tail = self.log_tail()
            self.stop()
            pytest.fail(f"{self.name} {problem}; its log ends with:\n{tail}", pytrace=False)

    def _wait(self, ready: Callable[[], bool], timeout: float) -> str | None:
        """None once ``ready()`` holds, else what went wrong."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return f"exited with {self.proc.returncode} while starting"
            if ready():
                return None
            time.sleep(0.1)
        return f"did not answer within {timeout}s"

    def stop(self, timeout: float = 20.0) -> None:
        if self.proc is not None:
            self._end(self.proc, timeout)
            self.proc = None

    @staticmethod
    def _end(proc: subprocess.Popen, timeout: float = 5.0) -> None:
        """SIGTERM the daemon's process group, SIGKILL it if it lingers (also at interpreter exit)."""
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        except ProcessLookupError:  # it ended between the check and the signal
            proc.wait(10)


def run(command: Sequence[str], what: str, daemon: Daemon, timeout: float = 60.0, check: bool = True,
        **kwargs) -> subprocess.CompletedProcess:
    """Run a client of ``daemon``; on failure or timeout the error carries its output and the daemon's log."""
    try:
        result = subprocess.run(list(command), capture_output=True, text=True, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as exc:
        output = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else exc.stderr or ""
        pytest.fail(f"{what} took more than {timeout}s:\n{output}\n{daemon.name} log:\n{daemon.log_tail()}",
                    pytrace=False)
    if check and result.returncode != 0:
        raise AssertionError(f"{what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n"
                             f"{daemon.name} log:\n{daemon.log_tail(2000)}")
    return result
