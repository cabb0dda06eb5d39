"""Rules that both doors share: the Harbor API and /v2 link blobs and delete manifests
through the same guarded operations in core."""
from __future__ import annotations

from tests.api.conftest import error_code, unique
from tests.support.images import make_image, make_index


def _quota(admin, project: str) -> dict:
    project_id = admin.get(f"/projects/{project}").json()["project_id"]
    return admin.get(f"/quotas/{project_id}").json()


def test_a_copy_over_the_quota_links_nothing(admin, registry, project):
    registry.push_image(f"{project}/src", make_image(layers=3, layer_size=20_000), "v1")
    target = unique()
    assert admin.post("/projects", json={"project_name": target, "storage_limit": 30_000}).status_code == 201
    refused = admin.post(f"/projects/{target}/repositories/dst/artifacts", params={"from": f"{project}/src:v1"})
    assert refused.status_code == 403 and error_code(refused) == "DENIED", refused.text
    assert _quota(admin, target)["used"]["storage"] == 0
    layers = registry.get(f"/v2/{project}/src/manifests/v1").json()["layers"]
    for layer in layers:
        assert registry.head(f"/v2/{target}/dst/blobs/{layer['digest']}").status_code == 404


def test_a_copy_within_the_quota_is_counted(admin, registry, project):
    image = make_image(layers=2, layer_size=20_000)
    registry.push_image(f"{project}/src", image, "v1")
    target = unique()
    assert admin.post("/projects", json={"project_name": target, "storage_limit": 10 ** 6}).status_code == 201
    copied = admin.post(f"/projects/{target}/repositories/dst/artifacts", params={"from": f"{project}/src:v1"})
    assert copied.status_code == 201, copied.text
    assert _quota(admin, target)["used"]["storage"] == _quota(admin, project)["used"]["storage"]


def test_v2_refuses_to_delete_a_manifest_an_index_lists(admin, registry, project):
    index = make_index()
    registry.push_index(f"{project}/multi", index, "latest")
    child = index.images[0].digest
    refused = registry.delete(f"/v2/{project}/multi/manifests/{child}")
    assert refused.status_code == 412, refused.text
    assert refused.json()["errors"][0]["code"] == "PRECONDITION"
    assert registry.get(f"/v2/{project}/multi/manifests/{child}").status_code == 200
    by_api = admin.delete(f"/projects/{project}/repositories/multi/artifacts/{child}")
    assert by_api.status_code == 412 and error_code(by_api) == "PRECONDITION"
