"""Administer a test server the way an operator would: with the berth command."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.support.server import ROOT, BerthServer


def berth_cli(server: BerthServer, *args: str, stdin: str | None = None) -> str:
    config = server.data_dir.parent / f"berth-{server.port}.yml"
    result = subprocess.run(
        [sys.executable, "-m", "registry", *args, "--config", str(config), "--data", str(server.data_dir)],
        cwd=ROOT, capture_output=True, text=True, input=stdin, timeout=120,
    )
    if result.returncode != 0:
        raise AssertionError(f"berth {' '.join(args)} failed: {result.stderr}")
    return result.stdout


def add_user(server: BerthServer, name: str, password: str, admin: bool = False) -> None:
    berth_cli(server, "user", "add", name, "--password-stdin", *(["--admin"] if admin else []), stdin=password + "\n")


def add_project(server: BerthServer, name: str, public: bool = False) -> None:
    berth_cli(server, "project", "create", name, *(["--public"] if public else []))


def add_member(server: BerthServer, project: str, user: str, role: str) -> None:
    berth_cli(server, "project", "member", project, user, role)


def add_robot(server: BerthServer, name: str, project: str | None, actions: str, days: int = -1) -> dict:
    args = ["robot", "create", name, "--actions", actions, "--days", str(days)]
    if project:
        args += ["--project", project]
    return json.loads(berth_cli(server, *args).strip().splitlines()[-1])
