"""The berth command's start-up messages and refusals."""
from __future__ import annotations

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
