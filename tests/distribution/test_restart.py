"""State that must survive a restart: upload sessions, manifests, tags."""
from __future__ import annotations

import os

from tests.conftest import ADMIN
from tests.support.client import RegistryClient
from tests.support.images import make_image, sha256


def test_upload_session_survives_restart(fresh_berth):
    server = fresh_berth(settings={"auth": {"auto_create_projects": True}})
    client = RegistryClient(server.url, ADMIN)
    repo = "library/resume"
    data = os.urandom(300_000)
    location = client.post(f"/v2/{repo}/blobs/uploads/").headers["Location"]
    assert client.patch(location, data=data[:200_000], headers={"Content-Range": "0-199999"}).status_code == 202
    server.restart()
    status = client.get(location)
    assert status.status_code == 204 and status.headers["Range"] == "0-199999"
    assert client.patch(location, data=data[200_000:], headers={"Content-Range": f"200000-{len(data) - 1}"}).status_code == 202
    done = client.put(f"{location}?digest={sha256(data)}")
    assert done.status_code == 201, done.text
    image = make_image()
    client.push_image(repo, image, "v1")
    server.restart()
    assert client.get(f"/v2/{repo}/blobs/{sha256(data)}").content == data
    assert client.get(f"/v2/{repo}/manifests/v1").content == image.manifest
