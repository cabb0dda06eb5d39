"""Prometheus metrics of a real two-worker Berth, scraped and parsed as Prometheus would."""
from __future__ import annotations

import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ADMIN
from tests.support.client import RegistryClient
from tests.support.images import OCI_MANIFEST, make_image
from tests.support.server import BerthServer, free_port

Samples = list[tuple[str, dict[str, str], float]]


def scrape(server: BerthServer, port: int) -> Samples:
    response = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return [(s.name, s.labels, s.value) for family in text_string_to_metric_families(response.text)
            for s in family.samples]


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels``."""
    return sum(v for n, have, v in samples if n == name and labels.items() <= have.items())


def settle(read, check, timeout: float = 10.0):
    """Scrape until ``check`` holds (batched writers flush on their own clock)."""
    deadline = time.monotonic() + timeout
    while True:
        samples = read()
        if check(samples) or time.monotonic() > deadline:
            return samples
        time.sleep(0.2)


@pytest.fixture
def two_workers(fresh_berth):
    port = free_port()
    server = fresh_berth(workers=2, settings={
        "auth": {"auto_create_projects": True},
        "metric": {"enabled": True, "port": port},
        "pulls": {"flush_interval": 1},
        "gc": {"interval": 1, "grace": 0},
        "webhooks": {"retries": 0, "timeout": 2},
    })
    return server, port


def test_one_scrape_counts_the_requests_of_every_worker(two_workers):
    server, port = two_workers
    before = value(scrape(server, port), "berth_http_requests_total", route="/v2/", method="GET", code="401")
    for _ in range(60):  # a new connection each time: the kernel spreads them over both workers
        assert requests.get(f"{server.url}/v2/", timeout=5).status_code == 401
    # Whichever worker answers a scrape, it reports all 60: each worker alone saw only its share.
    for _ in range(8):
        samples = scrape(server, port)
        assert value(samples, "berth_http_requests_total", route="/v2/", method="GET", code="401") == before + 60
        assert value(samples, "berth_http_request_duration_seconds_count", route="/v2/", method="GET") >= 60
        assert value(samples, "berth_http_response_bytes_total", route="/v2/", method="GET") > 0
        workers = {labels["pid"] for name, labels, _ in samples if name == "berth_worker_start_time_seconds"}
        assert len(workers) == 2
    # Route templates, never raw paths, and known methods: what clients choose does not become series.
    for i in range(5):
        requests.get(f"{server.url}/no/such/path/{i}", timeout=5)
        for method in ("PROPFIND", "MKCOL"):  # HTTP methods Berth serves nowhere
            requests.request(method, f"{server.url}/v2/library/x{i}/manifests/sha256:{i:064x}", timeout=5)
        # A method HTTP's parser refuses is answered 400 by aiohttp itself, before any route.
        assert requests.request(f"BREW{i}", f"{server.url}/v2/", timeout=5).status_code == 400
    samples = scrape(server, port)
    series = {(labels["route"], labels["method"]) for name, labels, _ in samples
              if name == "berth_http_requests_total"}
    assert series == {("/v2/", "GET"), ("(unmatched)", "GET"), ("(unmatched)", "other"),
                      ("/v2/{name}/manifests/{reference}", "other")}
    assert "Traceback" not in server.log(100_000)


def test_core_figures_move_after_real_work(two_workers):
    server, port = two_workers
    client = RegistryClient(server.url, ADMIN)
    image = make_image(layers=2, layer_size=50_000)
    repo = "library/metered"
    client.push_image(repo, image, "v1")
    assert client.get(f"/v2/{repo}/manifests/v1", headers={"Accept": OCI_MANIFEST}).status_code == 200
    open_upload = client.post(f"/v2/{repo}/blobs/uploads/")
    assert open_upload.status_code == 202
    token = requests.get(f"{server.url}/service/token", params={"service": "harbor-registry",
                         "scope": f"repository:{repo}:pull"}, auth=ADMIN, timeout=10)
    assert token.status_code == 200
    assert requests.get(f"{server.url}/service/token", params={"service": "harbor-registry"},
                        auth=("admin", "wrong-password"), timeout=10).status_code == 401
    assert requests.get(f"{server.url}/v2/{repo}/tags/list", headers={"Authorization": "Bearer not.a.token"},
                        timeout=10).status_code == 401
    dead_port = free_port()
    policy = {"name": "nowhere", "enabled": True, "event_types": ["PULL_ARTIFACT"],
              "targets": [{"type": "http", "address": f"http://127.0.0.1:{dead_port}/hook"}]}
    assert client.post("/api/v2.0/projects/library/webhook/policies", json=policy).status_code == 201
    assert client.get(f"/v2/{repo}/manifests/v1", headers={"Accept": OCI_MANIFEST}).status_code == 200

    def done(samples: Samples) -> bool:
        return (value(samples, "berth_batch_flushed_events_total", batch="pulls") >= 2
                and value(samples, "berth_webhook_deliveries_total", outcome="failed") >= 1
                and value(samples, "berth_gc_runs_total", outcome="ok") >= 2)

    samples = settle(lambda: scrape(server, port), done)
    assert done(samples), samples
    assert value(samples, "berth_batch_flushes_total", batch="pulls", outcome="ok") >= 1
    assert value(samples, "berth_webhook_failed_attempts_total") >= 1
    assert value(samples, "berth_tokens_issued_total", kind="user") >= 1
    assert value(samples, "berth_auth_failures_total", kind="password") >= 1
    assert value(samples, "berth_auth_failures_total", kind="token") >= 1
    assert value(samples, "berth_upload_sessions_started_total") >= 4  # two layers, the config, the open one
    assert value(samples, "berth_upload_sessions_ended_total", outcome="committed") >= 3
    assert value(samples, "berth_upload_sessions_open") == 1
    assert value(samples, "berth_http_request_bytes_total", route="/v2/{name}/blobs/uploads/{reference}") >= 100_000
    assert value(samples, "berth_http_requests_total", route="/v2/{name}/manifests/{reference}", method="PUT",
                 code="201") == 1
    assert value(samples, "berth_storage_operation_duration_seconds_count", driver="filesystem",
                 operation="upload_commit") >= 3
    assert value(samples, "berth_http_requests_in_flight") == 0
    assert value(samples, "harbor_project_total", public="true") >= 1
    assert value(samples, "harbor_project_repo_total", project_name="library") == 1
    assert value(samples, "harbor_project_artifact_total", project_name="library") == 1
    assert value(samples, "harbor_project_quota_usage_byte", project_name="library") >= 100_000
    assert value(samples, "harbor_project_quota_byte", project_name="library") == -1
    assert value(samples, "harbor_artifact_pulled", project_name="library") == 2


def test_metrics_are_off_unless_enabled_and_never_on_the_registry_port(fresh_berth):
    server = fresh_berth()
    assert requests.get(f"{server.url}/metrics", timeout=5).status_code == 404


@pytest.mark.parametrize("metric, message", [
    ({"enabled": True, "port": 0}, "metric.port must be between 1 and 65535"),
    ({"enabled": True, "path": "metrics"}, "metric.path must be a path starting with /"),
    ({"enabled": True, "port": "same"}, "metric.port must differ from http.port"),
])
def test_wrong_metric_settings_stop_the_start_with_their_name(tmp_path, metric, message):
    port = free_port()
    if metric.get("port") == "same":
        metric = {**metric, "port": port}
    server = BerthServer(tmp_path / "data", settings={"metric": metric}, port=port)
    with pytest.raises(RuntimeError) as refused:
        server.start(timeout=10)
    assert message in str(refused.value)
    assert server.proc.wait(5) == 2
