"""/api/v2.0/health component by component, and the container image's HEALTHCHECK command."""
from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import requests

from registry.config import load_config
from registry.core.health import HealthCheck
from registry.server.wiring import open_registry
from tests.support.server import ROOT, BerthServer, free_port

HARBOR_COMPONENTS = {"core", "portal", "jobservice", "registry", "database"}


def healthcheck_command() -> list[str]:
    """The Dockerfile's HEALTHCHECK command, as the container would run it."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    found = re.search(r"^HEALTHCHECK\s.*?\bCMD\s+(.+)$", text, re.MULTILINE)
    assert found, "the Dockerfile has a HEALTHCHECK … CMD line"
    command = found[1].strip()
    return json.loads(command) if command.startswith("[") else ["sh", "-c", command]


def run_in_image_environment(command: list[str], data_dir: Path, **env: str) -> subprocess.CompletedProcess:
    """``berth`` there is this tree's command; the image sets BERTH_DATA_DIR (see the Dockerfile's ENV)."""
    if command[0] == "berth":
        command = [sys.executable, "-m", "registry.cli", *command[1:]]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BERTH_")}
    environment.update({"BERTH_DATA_DIR": str(data_dir), **env})
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=30)


def test_health_names_harbors_components(berth: BerthServer):
    health = requests.get(f"{berth.url}/api/v2.0/health", timeout=10).json()
    assert health["status"] == "healthy"
    names = [c["name"] for c in health["components"]]
    assert set(names) == HARBOR_COMPONENTS and len(names) == len(set(names))
    assert all(c == {"name": c["name"], "status": "healthy"} for c in health["components"])


def test_an_unhealthy_or_hung_component_is_reported_with_its_error(tmp_path: Path):
    async def run() -> tuple[list, float]:
        config = load_config(None, {"data_dir": str(tmp_path)})
        registry = await open_registry(config)
        try:
            health = HealthCheck(registry.meta, registry.blob_store, timeout=0.5)

            async def broken() -> None:
                raise ConnectionRefusedError("upstream refused")

            async def hung() -> None:
                await asyncio.sleep(3600)

            health.add("upstream", broken)
            health.add("slow", hung)
            loop = asyncio.get_running_loop()
            started = loop.time()
            components = await health.components()
            return components, loop.time() - started
        finally:
            await registry.close()

    components, took = asyncio.run(run())
    by_name = {c.name: c for c in components}
    assert by_name["database"].healthy and by_name["registry"].healthy
    assert by_name["upstream"].error == "ConnectionRefusedError: upstream refused"
    assert by_name["slow"].error == "no answer within 0.5s"
    assert took < 2  # probes run at once, each within its limit


def test_the_dockerfile_healthcheck_follows_the_port_the_server_was_given(fresh_berth, tmp_path: Path):
    command = healthcheck_command()
    server = fresh_berth()  # on a free port given with --port, not the default 5000
    assert server.port != 5000
    result = run_in_image_environment(command, server.data_dir)
    assert result.returncode == 0, result.stderr
    live = run_in_image_environment([*command, "--live"], server.data_dir)
    assert live.returncode == 0, live.stderr
    server.stop()
    down = run_in_image_environment(command, server.data_dir)
    assert down.returncode == 1 and str(server.port) in down.stderr


def test_healthcheck_without_a_record_uses_the_configured_port(fresh_berth, tmp_path: Path):
    server = fresh_berth()
    (server.data_dir / "listening").unlink()
    assert run_in_image_environment(healthcheck_command(), server.data_dir,
                                    BERTH_HTTP_PORT=str(server.port)).returncode == 0
    assert run_in_image_environment(healthcheck_command(), server.data_dir,
                                    BERTH_HTTP_PORT=str(free_port())).returncode == 1
