"""Limits: quotas, manifest and body sizes, header sizes, upload sessions per client and
their expiry, slow clients, and the token endpoint's rate limit."""
from __future__ import annotations

import os
import socket
import time

import requests

from tests.conftest import ADMIN
from tests.support.admin import berth_cli
from tests.support.client import RegistryClient, error_codes
from tests.support.images import OCI_MANIFEST, make_image, sha256


def test_quota_refuses_pushes_beyond_the_limit_and_counts_shared_blobs_once(fresh_berth):
    server = fresh_berth()
    berth_cli(server, "project", "create", "small", "--storage-limit", "60000")
    client = RegistryClient(server.url, ADMIN)
    first = make_image(layers=1, layer_size=20_000)
    client.push_image("small/a", first, "v1")
    client.push_image("small/b", first, "v1")  # the same blobs in a second repository: no more usage
    used = client.get("/api/v2.0/quotas").json()
    small = next(q for q in used if q["ref"]["name"] == "small")
    assert small["used"]["storage"] == sum(len(b) for b in first.blobs.values()) + len(first.manifest)

    big = os.urandom(50_000)
    start = client.post("/v2/small/a/blobs/uploads/")
    r = client.put(f"{start.headers['Location']}?digest={sha256(big)}", data=big)
    assert r.status_code == 403 and error_codes(r) == ["DENIED"]
    assert "Quota exceeded when processing the request of small/a" in r.json()["errors"][0]["message"]
    assert client.get(start.headers["Location"]).status_code == 404  # the refused upload is gone

    other = client.push_blob("library/elsewhere", big)
    r = client.post(f"/v2/small/a/blobs/uploads/?mount={other}&from=library/elsewhere")
    assert r.status_code == 403 and error_codes(r) == ["DENIED"]

    berth_cli(server, "project", "create", "tiny", "--storage-limit", str(sum(len(b) for b in first.blobs.values())))
    for data in first.blobs.values():
        client.push_blob("tiny/app", data)
    r = client.push_manifest("tiny/app", "v1", first.manifest, first.media_type)
    assert r.status_code == 403 and error_codes(r) == ["DENIED"]


def test_oversized_manifest_and_json_body_are_413(fresh_berth):
    server = fresh_berth(settings={"auth": {"auto_create_projects": True},
                                   "limits": {"max_manifest_bytes": 1000, "max_json_body_bytes": 2000}})
    client = RegistryClient(server.url, ADMIN)
    r = client.push_manifest("library/x", "v1", b'{"schemaVersion": 2, "x": "' + b"a" * 2000 + b'"}', OCI_MANIFEST)
    assert r.status_code == 413 and error_codes(r) == ["TOO_LARGE"]
    r = client.post("/api/v2.0/projects", data=b'{"project_name": "' + b"a" * 5000 + b'"}',
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_huge_headers_are_refused_with_4xx(berth):
    for header in ({"X-Big": "a" * 20000}, {f"X-H{i}": "v" for i in range(300)}):
        r = requests.get(f"{berth.url}/v2/", headers=header, timeout=5)
        assert r.status_code in (400, 431), r.status_code
    r = requests.get(f"{berth.url}/v2/{'a' * 20000}/tags/list", timeout=5)
    assert r.status_code in (400, 414, 431)
    assert requests.get(f"{berth.url}/v2/", timeout=5).status_code == 401


def test_upload_sessions_per_client_are_limited_and_stale_ones_purged(fresh_berth):
    server = fresh_berth(settings={"auth": {"auto_create_projects": True},
                                   "limits": {"upload_sessions_per_client": 3, "upload_stale_after": 1,
                                              "upload_purge_interval": 1}})
    client = RegistryClient(server.url, ADMIN)
    locations = [client.post("/v2/library/up/blobs/uploads/").headers["Location"] for _ in range(3)]
    r = client.post("/v2/library/up/blobs/uploads/")
    assert r.status_code == 429 and error_codes(r) == ["TOOMANYREQUESTS"]
    deadline = time.monotonic() + 10
    while os.listdir(server.data_dir / "uploads") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert os.listdir(server.data_dir / "uploads") == []
    assert all(client.get(loc).status_code == 404 for loc in locations)
    assert client.post("/v2/library/up/blobs/uploads/").status_code == 202


def test_slowloris_is_cut_off_and_others_are_served(fresh_berth):
    server = fresh_berth(settings={"http": {"header_timeout": 2}})
    slow = []
    for _ in range(20):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        s.sendall(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n")
        slow.append(s)
    started = time.monotonic()
    assert requests.get(f"{server.url}/v2/", timeout=5).status_code == 401
    for s in slow:
        try:
            s.sendall(b"X-Drip: 1\r\n")
        except OSError:
            pass
    closed = 0
    for s in slow:
        try:
            while s.recv(1024):
                s.sendall(b"X-Drip: 1\r\n")
        except OSError:
            pass
        closed += 1
        s.close()
    assert closed == 20 and time.monotonic() - started < 8
    assert requests.get(f"{server.url}/v2/", timeout=5).status_code == 401


def test_token_endpoint_rate_limit(fresh_berth):
    """Anonymous token requests are what is throttled per address."""
    server = fresh_berth(settings={"limits": {"anonymous_tokens_per_second": 1, "anonymous_token_burst": 3}})
    statuses = [requests.get(f"{server.url}/service/token", timeout=5,
                             params={"service": "harbor-registry", "scope": "repository:library/x:pull"})
                for _ in range(6)]
    assert [r.status_code for r in statuses[:3]] == [200, 200, 200]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited and "Retry-After" in limited[0].headers
    assert limited[0].json()["errors"][0]["code"] == "TOOMANYREQUESTS"
