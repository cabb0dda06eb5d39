"""The berth command's start-up messages and refusals."""
from __future__ import annotations

import os
import subprocess
import sys

from tests.support.server import ROOT


def test_bad_config_gets_a_message_not_a_traceback(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("http:\n  port: lots\n")
    result = subprocess.run([sys.executable, "-m", "registry.cli", "serve", "--config", str(bad)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "http.port" in result.stderr and "Traceback" not in result.stderr


def _berth(*args: str, cwd=ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "registry.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def test_commands_other_than_serve_never_create_a_registry(tmp_path):
    """Run in the wrong folder, a command says where it looked instead of making ./data."""
    for command in (["project", "list"], ["user", "list"], ["gc", "--dry-run"], ["fsck"]):
        result = _berth(*command, cwd=tmp_path)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert str(tmp_path / "data") in result.stderr and "--data" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
        assert list(tmp_path.iterdir()) == [], command
    elsewhere = tmp_path / "elsewhere"
    result = _berth("project", "list", "--data", str(elsewhere), cwd=tmp_path)
    assert result.returncode == 2 and str(elsewhere) in result.stderr and not elsewhere.exists()
    result = _berth("project", "list", cwd=tmp_path, env={"BERTH_DATA": str(elsewhere)})
    assert result.returncode == 2 and str(elsewhere) in result.stderr and not elsewhere.exists()


def test_init_creates_a_registry_the_commands_then_use(tmp_path):
    data = tmp_path / "registry"
    created = _berth("init", "--data", str(data), env={"BERTH_ADMIN_PASSWORD": "Init-Test-1"})
    assert created.returncode == 0, created.stderr
    made = _berth("project", "create", "team", "--data", str(data))
    assert made.returncode == 0, made.stderr
    assert "team" in _berth("project", "list", "--data", str(data)).stdout


def test_commands_work_on_a_registry_serve_created(fresh_berth):
    server = fresh_berth()
    server.stop()
    result = _berth("project", "list", "--data", str(server.data_dir))
    assert result.returncode == 0, result.stderr
    assert "library" in result.stdout


def test_version():
    result = _berth("--version")
    assert result.returncode == 0 and result.stdout.startswith("berth 0.")
