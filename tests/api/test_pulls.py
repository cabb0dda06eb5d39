"""Harbor's pull counting: a successful manifest GET is one pull; HEAD, 304, failures and
blob GETs are not. Counts survive a restart (flushed on shutdown)."""
from __future__ import annotations

from tests.api.conftest import SETTINGS, Api, wait_for
from tests.conftest import ADMIN
from tests.support.client import RegistryClient
from tests.support.images import make_image, make_index

ACCEPT = {"Accept": "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json"}


def _docker_pull(registry: RegistryClient, repo: str, tag: str) -> None:
    assert registry.head(f"/v2/{repo}/manifests/{tag}", headers=ACCEPT).status_code == 200
    assert registry.get(f"/v2/{repo}/manifests/{tag}", headers=ACCEPT).status_code == 200


def _counts(api: Api, project: str, repo: str) -> tuple[int, dict]:
    repository = api.get(f"/projects/{project}/repositories/{repo}").json()
    artifacts = api.get(f"/projects/{project}/repositories/{repo}/artifacts").json()
    return repository["pull_count"], {a["digest"]: a for a in artifacts}


def test_pull_counts_survive_a_restart(fresh_berth):
    server = fresh_berth(settings=SETTINGS)
    registry, api = RegistryClient(server.url, ADMIN), Api(server.url, ADMIN)
    api.post("/projects", json={"project_name": "team"})
    image = make_image(layers=1)
    digest = registry.push_image("team/app", image, "v1")
    for _ in range(3):
        _docker_pull(registry, "team/app", "v1")
    # Not pulls: a conditional GET answered 304, a failed GET, blob GETs, HEADs.
    assert registry.get("/v2/team/app/manifests/v1", headers={"If-None-Match": f'"{digest}"'}).status_code == 304
    assert registry.get("/v2/team/app/manifests/missing").status_code == 404
    assert registry.get(f"/v2/team/app/blobs/{next(iter(image.blobs))}").status_code == 200
    assert wait_for(lambda: _counts(api, "team", "app")[0] == 3)
    count, artifacts = _counts(api, "team", "app")
    assert artifacts[digest]["pull_count"] == 3
    assert artifacts[digest]["pull_time"] != "0001-01-01T00:00:00.000Z"
    assert artifacts[digest]["tags"][0]["pull_time"] != "0001-01-01T00:00:00.000Z"
    _docker_pull(registry, "team/app", "v1")
    server.restart()  # the last pull is still in memory: the clean stop must write it
    assert _counts(api, "team", "app")[0] == 4


def test_pull_by_digest_leaves_tag_pull_time(registry, admin, project):
    digest = registry.push_image(f"{project}/app", make_image(layers=1), "v1")
    assert registry.get(f"/v2/{project}/app/manifests/{digest}").status_code == 200
    assert wait_for(lambda: _counts(admin, project, "app")[0] == 1)
    artifact = _counts(admin, project, "app")[1][digest]
    assert artifact["pull_time"] != "0001-01-01T00:00:00.000Z"
    assert artifact["tags"][0]["pull_time"] == "0001-01-01T00:00:00.000Z"


def test_multi_platform_pull_counts_two(registry, admin, project):
    index = make_index()
    digest = registry.push_index(f"{project}/multi", index, "latest")
    _docker_pull(registry, f"{project}/multi", "latest")
    assert registry.get(f"/v2/{project}/multi/manifests/{index.images[0].digest}").status_code == 200
    assert wait_for(lambda: _counts(admin, project, "multi")[0] == 2)
    artifact = _counts(admin, project, "multi")[1][digest]
    assert artifact["pull_count"] == 1 and artifact["pull_time"] != "0001-01-01T00:00:00.000Z"
