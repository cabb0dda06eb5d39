"""Cross-repository mounts under token auth, with tokens got by following the challenge as clients do."""
from __future__ import annotations

import hashlib
import re
import uuid

import pytest
import requests

from tests.auth.conftest import PASSWORD

_PARAM = re.compile(r'(\w+)="([^"]*)"')


def _challenge(response: requests.Response) -> dict[str, str]:
    header = response.headers["WWW-Authenticate"]
    assert header.startswith("Bearer ")
    return dict(_PARAM.findall(header))


def _follow(response: requests.Response, user: str, separate_params: bool) -> str:
    """Fetch a token for exactly what the 401 asks: docker repeats ``scope``, others send it as it came."""
    params = _challenge(response)
    scopes = params["scope"].split(" ") if separate_params else [params["scope"]]
    query = [("service", params["service"])] + [("scope", s) for s in scopes]
    token = requests.get(params["realm"], params=query, auth=(user, PASSWORD), timeout=10)
    assert token.status_code == 200, token.text
    return token.json()["token"]


def _post_with_challenge(secured, path: str, user: str, separate_params: bool = True) -> tuple[requests.Response, str]:
    url = f"{secured.server.url}{path}"
    first = requests.post(url, timeout=10)
    assert first.status_code == 401
    token = _follow(first, user, separate_params)
    return requests.post(url, headers={"Authorization": f"Bearer {token}"}, timeout=10), token


def _layer_digest(secured) -> str:
    return "sha256:" + hashlib.sha256(secured.team_image.layers[0]).hexdigest()


def test_challenge_asks_for_pull_on_the_source(secured):
    target = f"team/copy-{uuid.uuid4().hex[:8]}"
    r = requests.post(f"{secured.server.url}/v2/{target}/blobs/uploads/?mount={_layer_digest(secured)}&from=team/app",
                      timeout=10)
    assert r.status_code == 401
    assert _challenge(r)["scope"] == f"repository:{target}:pull,push repository:team/app:pull"
    plain = requests.post(f"{secured.server.url}/v2/{target}/blobs/uploads/", timeout=10)
    assert _challenge(plain)["scope"] == f"repository:{target}:pull,push"


@pytest.mark.parametrize("separate_params", [True, False], ids=["repeated-scope", "one-scope-param"])
def test_mount_with_the_token_the_challenge_leads_to(secured, separate_params):
    target = f"team/copy-{uuid.uuid4().hex[:8]}"
    digest = _layer_digest(secured)
    r, token = _post_with_challenge(secured, f"/v2/{target}/blobs/uploads/?mount={digest}&from=team/app", "dev",
                                    separate_params)
    assert r.status_code == 201, r.text
    assert r.headers["Docker-Content-Digest"] == digest
    assert r.headers["Location"] == f"/v2/{target}/blobs/{digest}"
    head = requests.head(f"{secured.server.url}/v2/{target}/blobs/{digest}",
                         headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == len(secured.team_image.layers[0])


def test_no_mount_from_a_repository_the_caller_may_not_pull(secured):
    """dev may push to team but not read other/db: the challenge is followed, the mount is an upload."""
    digest = secured.client("admin").get("/v2/other/db/manifests/v1").json()["config"]["digest"]
    target = f"team/copy-{uuid.uuid4().hex[:8]}"
    r, token = _post_with_challenge(secured, f"/v2/{target}/blobs/uploads/?mount={digest}&from=other/db", "dev")
    assert r.status_code == 202 and "/blobs/uploads/" in r.headers["Location"]
    head = requests.head(f"{secured.server.url}/v2/{target}/blobs/{digest}",
                         headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert head.status_code == 404


def test_mount_without_from_is_an_ordinary_upload(secured):
    """No automatic cross-mount: knowing a digest, even of a blob the caller may pull, mounts nothing."""
    target = f"team/copy-{uuid.uuid4().hex[:8]}"
    digest = _layer_digest(secured)
    r, token = _post_with_challenge(secured, f"/v2/{target}/blobs/uploads/?mount={digest}", "dev")
    assert r.status_code == 202 and "/blobs/uploads/" in r.headers["Location"]
    head = requests.head(f"{secured.server.url}/v2/{target}/blobs/{digest}",
                         headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert head.status_code == 404
