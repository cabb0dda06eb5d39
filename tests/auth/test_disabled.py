"""``auth.enabled: false`` (behind another gatekeeper): open access, no token service, no 500s."""
from __future__ import annotations

import requests

from tests.support.client import RegistryClient
from tests.support.images import make_image


def test_open_registry(fresh_berth):
    server = fresh_berth(settings={"auth": {"enabled": False}})
    anonymous = RegistryClient(server.url)
    assert anonymous.get("/v2/").status_code == 200
    image = make_image(layers=1)
    anonymous.push_image("library/open", image, "v1")
    assert anonymous.get("/v2/library/open/manifests/v1").content == image.manifest
    token = requests.get(f"{server.url}/service/token", params={"scope": "repository:library/open:pull"})
    assert token.status_code == 404 and token.json()["errors"][0]["code"] == "NOT_FOUND"
