"""The install: the first README command uses a virtual environment of its own and leaves
the system interpreter alone, and a normal (non-editable) wheel install runs anywhere."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.support.server import ROOT, free_port

BASE_PYTHON = getattr(sys, "_base_executable", None) or sys.executable


def _system_env() -> dict[str, str]:
    """The environment of someone who has not activated the project's venv."""
    venv_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    return {**env, "PATH": path, "BERTH_ADMIN_PASSWORD": "Install-Test-1"}


def _freeze() -> str:
    return subprocess.run([BASE_PYTHON, "-m", "pip", "freeze", "--all"], capture_output=True, text=True,
                          timeout=120, env=_system_env()).stdout


def _wait_until_serving(proc: subprocess.Popen, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else "exited"
        try:
            if requests.get(f"http://127.0.0.1:{port}/v2/", timeout=1).status_code == 401:
                return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise AssertionError(f"nothing served on {port} within {timeout}s")


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _serve_script(venv: Path, data: Path, port: int) -> subprocess.Popen:
    return subprocess.Popen(["bash", "scripts/serve.sh", "--port", str(port), "--data", str(data)], cwd=ROOT,
                            env={**_system_env(), "BERTH_VENV": str(venv)}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def test_the_first_command_installs_into_a_venv_and_leaves_the_system_python_alone(tmp_path):
    before = _freeze()
    venv, port = tmp_path / "venv", free_port()
    proc = _serve_script(venv, tmp_path / "data", port)
    try:
        _wait_until_serving(proc, port, timeout=400)
    finally:
        _stop(proc)
    assert (venv / "bin" / "berth").exists()
    assert _freeze() == before
    # Started again with nothing changed, it installs nothing: the venv is left as it was.
    installed = sorted((p.name, p.stat().st_mtime_ns) for p in venv.glob("lib/python*/site-packages/*"))
    proc = _serve_script(venv, tmp_path / "data", port)
    try:
        _wait_until_serving(proc, port, timeout=60)
    finally:
        _stop(proc)
    assert sorted((p.name, p.stat().st_mtime_ns) for p in venv.glob("lib/python*/site-packages/*")) == installed


def test_a_wheel_installed_into_a_fresh_venv_serves_from_any_directory(tmp_path):
    wheels, venv, elsewhere = tmp_path / "wheels", tmp_path / "venv", tmp_path / "elsewhere"
    elsewhere.mkdir()
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
                   check=True, timeout=300, capture_output=True)
    subprocess.run([BASE_PYTHON, "-m", "venv", str(venv)], check=True, timeout=120, env=_system_env())
    (wheel,) = wheels.glob("berth-*.whl")
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], check=True,
                   timeout=400, capture_output=True, env=_system_env())
    port = free_port()
    proc = subprocess.Popen([str(venv / "bin" / "berth"), "serve", "--port", str(port), "--data",
                             str(tmp_path / "data")], cwd=elsewhere, env=_system_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_until_serving(proc, port, timeout=60)
        assert requests.get(f"http://127.0.0.1:{port}/api/v2.0/ping", timeout=5).text.strip('"') == "Pong"
    finally:
        _stop(proc)
    assert list(elsewhere.iterdir()) == []
