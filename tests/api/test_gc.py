"""Garbage collection from the API: run now (dry and real), history and logs shared with
`berth gc`, the schedule (firing once across two workers), and bad input in Harbor's format."""
from __future__ import annotations

import time

import pytest
import requests

from tests.conftest import ADMIN
from tests.support.admin import berth_cli
from tests.support.client import RegistryClient
from tests.support.images import make_image
from tests.support.server import BerthServer

SCHEDULE = "/system/gc/schedule"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    berth = BerthServer(tmp_path_factory.mktemp("gc") / "data", settings={"gc": {"grace": 0}}, workers=2).start()
    yield berth
    berth.stop()


def _api(server, method: str, path: str, auth=ADMIN, **kwargs) -> requests.Response:
    return requests.request(method, f"{server.url}/api/v2.0{path}", auth=auth, timeout=10, **kwargs)


def _finished(server, run_id: int) -> dict:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        run = _api(server, "GET", f"/system/gc/{run_id}").json()
        if run["job_status"] != "Running":
            return run
        time.sleep(0.2)
    raise AssertionError(f"gc {run_id} still running")


def _run_now(server, **parameters) -> tuple[dict, str]:
    started = _api(server, "POST", SCHEDULE, json={"schedule": {"type": "Manual"}, "parameters": parameters})
    assert started.status_code == 201, started.text
    run_id = int(started.headers["Location"].rsplit("/", 1)[1])
    run = _finished(server, run_id)
    return run, _api(server, "GET", f"/system/gc/{run_id}/log").text


def test_dry_run_then_real_run_of_untagged_manifests(server):
    registry = RegistryClient(server.url, ADMIN)
    repo = "library/gcapi"
    image = make_image(layers=2, layer_size=4000)
    registry.push_image(repo, image, "old")
    assert registry.delete(f"/v2/{repo}/manifests/old").status_code == 202  # now untagged
    run, log = _run_now(server, delete_untagged=True, dry_run=True)
    assert run["job_status"] == "Success" and run["job_kind"] == "MANUAL" and run["job_name"] == "GARBAGE_COLLECTION"
    assert f"would delete manifest {repo}@{image.digest}" in log
    assert registry.get(f"/v2/{repo}/manifests/{image.digest}").status_code == 200  # a dry run deletes nothing
    run, log = _run_now(server, delete_untagged=True)
    assert run["job_status"] == "Success"
    assert f"deleted manifest {repo}@{image.digest}" in log and "deleted 1 manifest(s) and 4 blob(s)" in log  # config, 2 layers, the manifest
    assert registry.get(f"/v2/{repo}/manifests/{image.digest}").status_code == 404
    history = _api(server, "GET", "/system/gc")
    assert history.status_code == 200 and int(history.headers["X-Total-Count"]) >= 2
    assert history.json()[0]["id"] == run["id"]  # newest first


def test_the_command_shares_the_history(server):
    before = int(_api(server, "GET", "/system/gc").headers["X-Total-Count"])
    out = berth_cli(server, "gc", "--dry-run")
    assert "would delete" in out
    history = _api(server, "GET", "/system/gc")
    assert int(history.headers["X-Total-Count"]) == before + 1
    assert '"dry_run": true' in history.json()[0]["job_parameters"]


def test_a_schedule_fires_once_per_due_time_across_workers(server):
    assert _api(server, "GET", SCHEDULE).json()["schedule"]["type"] == "None"
    before = {r["id"] for r in _api(server, "GET", "/system/gc", params={"page_size": 100}).json()}
    body = {"schedule": {"type": "Custom", "cron": "*/6 * * * * *"}, "parameters": {"dry_run": True}}
    assert _api(server, "PUT", SCHEDULE, json=body).status_code == 200
    shown = _api(server, "GET", SCHEDULE).json()
    assert shown["schedule"]["cron"] == "*/6 * * * * *" and shown["parameters"]["dry_run"] is True
    assert shown["schedule"]["next_scheduled_time"]
    time.sleep(20)
    assert _api(server, "PUT", SCHEDULE, json={"schedule": {"type": "None"}}).status_code == 200
    runs = [r for r in _api(server, "GET", "/system/gc", params={"page_size": 100}).json()
            if r["id"] not in before and r["job_kind"] == "SCHEDULE"]
    assert 1 <= len(runs) <= 4, runs
    times = sorted(r["creation_time"] for r in runs)
    starts = [time.mktime(time.strptime(t[:19], "%Y-%m-%dT%H:%M:%S")) for t in times]
    assert all(b - a >= 4 for a, b in zip(starts, starts[1:])), times  # two workers, one run per firing


@pytest.mark.parametrize("body", [
    {},
    {"schedule": "Daily"},
    {"schedule": {"type": "Sometimes"}},
    {"schedule": {"type": "Custom", "cron": "0 * * * *"}},
    {"schedule": {"type": "Custom", "cron": "x y z a b c"}},
    {"schedule": {"type": "Manual"}, "parameters": {"dry_run": "yes"}},
    {"schedule": {"type": "Manual"}, "parameters": []},
])
def test_bad_schedules_get_harbors_errors(server, body):
    answer = _api(server, "POST", SCHEDULE, json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["errors"][0]["code"] == "BAD_REQUEST"


def test_only_admins_and_known_runs(server):
    assert _api(server, "GET", "/system/gc", auth=None).status_code == 401
    assert _api(server, "POST", SCHEDULE, auth=None, json={"schedule": {"type": "Manual"}}).status_code == 401
    assert _api(server, "GET", "/system/gc/999999").status_code == 404
    assert _api(server, "GET", "/system/gc/0").status_code == 400
    assert _api(server, "GET", "/system/gc/999999/log").status_code == 404


def test_put_sets_the_schedule_only(server):
    answer = _api(server, "PUT", SCHEDULE, json={"schedule": {"type": "Manual"}})
    assert answer.status_code == 400 and "POST" in answer.json()["errors"][0]["message"]
