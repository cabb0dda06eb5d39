"""SIGTERM: stop accepting, let the request in flight finish, flush pull counters, exit 0."""
from __future__ import annotations

import os
import signal
import socket
import threading
import time

import requests

from tests.conftest import ADMIN
from tests.support.client import RegistryClient
from tests.support.images import make_image

AUTH = "Basic YWRtaW46QmVydGgtVGVzdC1BZG1pbi0x"


def test_sigterm_finishes_a_slow_upload_flushes_counters_and_exits_0(fresh_berth):
    server = fresh_berth(settings={"auth": {"auto_create_projects": True}, "pulls": {"flush_interval": 3600},
                                   "http": {"shutdown_timeout": 20}})
    client = RegistryClient(server.url, ADMIN)
    image = make_image(layers=1)
    client.push_image("library/slow", image, "v1")
    assert client.get("/v2/library/slow/manifests/v1").status_code == 200  # one pull, held in memory
    location = client.post("/v2/library/slow/blobs/uploads/").headers["Location"]
    data = os.urandom(64 * 1024)
    answer: list[bytes] = []

    def slow_patch() -> None:
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
            s.sendall((f"PATCH {location} HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\n"
                       f"Content-Type: application/octet-stream\r\nContent-Length: {len(data)}\r\n\r\n").encode())
            for i in range(0, len(data), 8192):
                s.sendall(data[i:i + 8192])
                time.sleep(0.25)  # two seconds in all; SIGTERM arrives in the middle
            answer.append(s.recv(4096))

    sender = threading.Thread(target=slow_patch)
    sender.start()
    time.sleep(0.6)
    server.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    try:
        refused = requests.get(f"{server.url}/v2/", timeout=2).status_code
    except requests.ConnectionError:
        refused = None
    assert refused is None  # no longer accepting
    sender.join(30)
    assert answer and answer[0].startswith(b"HTTP/1.1 202"), answer
    assert server.proc.wait(30) == 0
    server.proc = None

    server.start()
    assert client.get(location).headers["Range"] == f"0-{len(data) - 1}"  # the upload kept every byte
    repo = client.get("/api/v2.0/projects/library/repositories/slow").json()
    assert repo["pull_count"] == 1
