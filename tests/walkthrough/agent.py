"""The walkthrough's Deployment and the node agent that runs it, shared by the walkthrough tests."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.support.server import ROOT

# The walkthrough's own Deployment, pointed at the test registry instead of 192.168.30.15.
DEPLOYMENT = (ROOT / "conf" / "examples" / "agent" / "nginx-deployment.yaml").read_text()
WALKTHROUGH_HOST = "192.168.30.15"


def deployment_for(host: str) -> str:
    return DEPLOYMENT.replace(WALKTHROUGH_HOST, host)


def run_agent(state, *args: str) -> tuple[int, dict]:
    """``berth agent run`` with a fast back-off; its exit code and JSON report."""
    result = subprocess.run([sys.executable, "-m", "registry", "agent", "run", "--state", str(state), "--json",
                             "--quiet", "--fast-backoff", "1000", "--attempts", "2", *args],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def events(report: dict) -> list[tuple[str, str]]:
    """Every Pod event of a report as (reason, message)."""
    return [(e["reason"], e["message"]) for pod in report["pods"] for e in pod["events"]]
