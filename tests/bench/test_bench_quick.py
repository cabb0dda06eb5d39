"""The benchmark still works end to end: a --quick run with 1-second rates.

No figure is asserted (timings on a shared machine prove nothing); this checks that
every server starts, every tool's output parses and the report is written.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.servers import DISTRIBUTION

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ["wrk", "hey", "nginx", "curl", "taskset", DISTRIBUTION]


@pytest.fixture(autouse=True)
def _tools() -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.fail(f"the benchmark needs {', '.join(missing)}: bash scripts/test.sh installs them")


@pytest.mark.timeout(400)
def test_quick_run_writes_complete_results(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "bench", "--quick", "--seconds", "1", "--out", str(tmp_path),
                    "--workdir", str(tmp_path)], cwd=ROOT, check=True, timeout=390)
    results = json.loads((tmp_path / "latest.json").read_text())
    for mode in ("open", "basic", "bearer"):
        for test, row in results["rates"][mode].items():
            assert row["berth"]["rps"] > 0 and row["distribution"]["rps"] > 0, (mode, test)
            assert row["berth"]["errors"] == 0, (mode, test, row["berth"])
    transfers = results["transfers"]
    assert {"push_put", "push_chunked", "blob_get_x1", "blob_get_x8"} <= transfers.keys()
    assert transfers["blob_get_x1"]["nginx"] > 0
    assert results["memory"]["berth"]["peak"] > 0 and results["memory"]["distribution"]["peak"] > 0
    assert results["tokens"]["anonymous"]["rps"] > 0
    assert {"workers_1", "workers_2"} <= results["workers"]["manifest_get_c16"].keys()
    s3 = results["s3"]
    assert s3["push_put"].keys() == {"berth", "distribution", "berth_redirect", "distribution_redirect"}
    assert all(v > 0 for key in ("push_put", "blob_get", "range_get", "redirect_get") for v in s3[key].values())
    assert {"berth", "distribution"} <= s3["memory"].keys()
    scale = results["scale"]
    small, large = scale["sizes"][0], scale["sizes"][-1]
    assert large["tags"] > small["tags"] and large["blob_links"] > 0
    assert large["berth"].keys() == small["berth"].keys() and {"tags_list_n100", "catalog_n100"} <= large["distribution"].keys()
    assert all(row["rps"] > 0 and row["errors"] == 0 for size in (small, large) for row in size["berth"].values())
    assert "0 problem(s)" in scale["maintenance"]["fsck"]["output"], scale["maintenance"]["fsck"]
    report = (tmp_path / "latest.md").read_text()
    assert "Berth ÷ Distribution" in report and results["machine"]["cpu"] in report
    assert "Cost as the registry grows" in report and "S3 storage" in report
