"""Repositories and artifacts: listing with counts, nested names, get by tag or digest,
tags, copy and delete, with their permission and error cases."""
from __future__ import annotations

from tests.api.conftest import error_code, unique
from tests.support.images import make_index


def test_repositories_list_get_and_nested_names(admin, anon, project, image_in):
    image_in(f"{project}/team/app")
    image_in(f"{project}/solo")
    repos = admin.get(f"/projects/{project}/repositories").json()
    assert [r["name"] for r in repos] == [f"{project}/solo", f"{project}/team/app"]
    assert all(r["artifact_count"] == 1 and r["pull_count"] == 0 and r["creation_time"] for r in repos)
    nested = admin.get(f"/projects/{project}/repositories/team%252Fapp")
    assert nested.status_code == 200 and nested.json()["name"] == f"{project}/team/app"
    fuzzy = admin.get(f"/projects/{project}/repositories", params={"q": "name=~tea"}).json()
    assert [r["name"] for r in fuzzy] == [f"{project}/team/app"]
    assert admin.get(f"/projects/{project}/repositories/nope").status_code == 404
    assert admin.get(f"/projects/{project}/repositories/BAD").status_code == 400
    assert anon.get(f"/projects/{project}/repositories").status_code == 401
    assert admin.get(f"/projects/{unique()}/repositories").status_code == 404


def test_public_project_is_readable_anonymously(admin, anon, image_in):
    name = unique()
    admin.post("/projects", json={"project_name": name, "metadata": {"public": "true"}})
    digest = image_in(f"{name}/web")
    assert anon.get(f"/projects/{name}/repositories").json()[0]["name"] == f"{name}/web"
    assert anon.get(f"/projects/{name}/repositories/web/artifacts/{digest}").status_code == 200
    assert anon.delete(f"/projects/{name}/repositories/web/artifacts/{digest}").status_code == 401


def test_artifact_fields(admin, project, image_in):
    digest = image_in(f"{project}/app", "v1")
    listed = admin.get(f"/projects/{project}/repositories/app/artifacts")
    assert listed.headers["X-Total-Count"] == "1"
    (artifact,) = listed.json()
    assert artifact["digest"] == digest and artifact["type"] == "IMAGE"
    assert artifact["manifest_media_type"] == "application/vnd.oci.image.manifest.v1+json"
    assert artifact["media_type"] == "application/vnd.oci.image.config.v1+json"
    assert artifact["extra_attrs"]["architecture"] == "amd64" and artifact["extra_attrs"]["os"] == "linux"
    assert artifact["size"] > 512 and artifact["pull_count"] == 0
    assert artifact["pull_time"] == "0001-01-01T00:00:00.000Z"
    assert [t["name"] for t in artifact["tags"]] == ["v1"] and artifact["tags"][0]["push_time"]
    by_tag = admin.get(f"/projects/{project}/repositories/app/artifacts/v1").json()
    assert by_tag["digest"] == digest
    assert admin.get(f"/projects/{project}/repositories/app/artifacts/nope").status_code == 404
    assert admin.get(f"/projects/{project}/repositories/app/artifacts/sha256:{'0' * 64}").status_code == 404
    assert admin.get(f"/projects/{project}/repositories/app/artifacts/sha256:zz").status_code == 404
    assert admin.get(f"/projects/{project}/repositories/gone/artifacts").status_code == 404


def test_index_lists_once_with_references(admin, registry, project):
    index = make_index()
    digest = registry.push_index(f"{project}/multi", index, "latest")
    (artifact,) = admin.get(f"/projects/{project}/repositories/multi/artifacts").json()
    assert artifact["digest"] == digest and artifact["manifest_media_type"] == index.media_type
    assert sorted(r["platform"]["architecture"] for r in artifact["references"]) == ["amd64", "arm64"]
    assert artifact["size"] > sum(len(i.manifest) for i in index.images)
    assert admin.get(f"/projects/{project}/repositories/multi").json()["artifact_count"] == 1
    child = index.images[0].digest
    refused = admin.delete(f"/projects/{project}/repositories/multi/artifacts/{child}")
    assert refused.status_code == 412 and error_code(refused) == "PRECONDITION"
    assert admin.delete(f"/projects/{project}/repositories/multi/artifacts/latest").status_code == 200
    assert admin.get(f"/projects/{project}/repositories/multi/artifacts").json() == []
    assert registry.get(f"/v2/{project}/multi/manifests/{child}").status_code == 404


def test_tag_filter_and_paging(admin, project, image_in):
    for i in range(3):
        image_in(f"{project}/many", f"t{i}")
    page = admin.get(f"/projects/{project}/repositories/many/artifacts", params={"page_size": 2})
    assert page.headers["X-Total-Count"] == "3" and len(page.json()) == 2 and "next" in page.headers["Link"]
    tagged = admin.get(f"/projects/{project}/repositories/many/artifacts", params={"q": "tags=t1"}).json()
    assert [t["name"] for t in tagged[0]["tags"]] == ["t1"] and len(tagged) == 1
    assert admin.get(f"/projects/{project}/repositories/many/artifacts", params={"q": "tags=nil"}).json() == []


def test_tags_add_list_delete(admin, user, project, image_in):
    digest = image_in(f"{project}/app", "v1")
    base = f"/projects/{project}/repositories/app/artifacts/{digest}/tags"
    added = admin.post(base, json={"name": "stable"})
    assert added.status_code == 201 and added.headers["Location"].endswith("/tags/stable")
    assert sorted(t["name"] for t in admin.get(base).json()) == ["stable", "v1"]
    assert [t["name"] for t in admin.get(base, params={"q": "name=~tab"}).json()] == ["stable"]
    assert admin.get(base, params={"q": "name=v1", "page_size": 1}).headers["X-Total-Count"] == "1"
    assert error_code(admin.post(base, json={"name": "v1"})) == "CONFLICT"
    assert admin.post(base, json={"name": "bad tag!"}).status_code == 400
    assert admin.post(base, json={"name": 3}).status_code == 400
    assert admin.post(base, data="{oops", headers={"Content-Type": "application/json"}).status_code == 400
    guest, _ = user(project, 3)
    assert guest.post(base, json={"name": "mine"}).status_code == 403
    assert guest.delete(f"{base}/stable").status_code == 403
    assert admin.delete(f"{base}/stable").status_code == 200
    assert admin.delete(f"{base}/stable").status_code == 404
    assert admin.get(f"/projects/{project}/repositories/app/artifacts/stable").status_code == 404


def test_copy_between_projects_checks_both_sides(admin, user, registry, project, image_in):
    digest = image_in(f"{project}/src", "v1")
    target = unique()
    admin.post("/projects", json={"project_name": target})
    copied = admin.post(f"/projects/{target}/repositories/dst/artifacts", params={"from": f"{project}/src:v1"})
    assert copied.status_code == 201, copied.text
    assert copied.headers["Location"].endswith(digest)
    assert admin.get(f"/projects/{target}/repositories/dst/artifacts/v1").json()["digest"] == digest
    assert registry.get(f"/v2/{target}/dst/manifests/v1").status_code == 200
    layers = registry.get(f"/v2/{target}/dst/manifests/v1").json()["layers"]
    assert registry.get(f"/v2/{target}/dst/blobs/{layers[0]['digest']}").status_code == 200
    by_digest = admin.post(f"/projects/{target}/repositories/other/artifacts", params={"from": f"{project}/src@{digest}"})
    assert by_digest.status_code == 201
    developer_of_target, _ = user(target, 2)
    refused = developer_of_target.post(f"/projects/{target}/repositories/x/artifacts",
                                       params={"from": f"{project}/src:v1"})
    assert refused.status_code == 403
    guest_of_target, _ = user(target, 3)
    assert guest_of_target.post(f"/projects/{target}/repositories/x/artifacts",
                                params={"from": f"{target}/dst:v1"}).status_code == 403
    assert admin.post(f"/projects/{target}/repositories/x/artifacts", params={"from": "garbage"}).status_code == 400
    assert admin.post(f"/projects/{target}/repositories/x/artifacts",
                      params={"from": f"{project}/src:nope"}).status_code == 404
    assert admin.post(f"/projects/{unique()}/repositories/x/artifacts",
                      params={"from": f"{project}/src:v1"}).status_code == 404


def test_delete_artifact_and_repository(admin, user, registry, project, image_in):
    digest = image_in(f"{project}/app", "v1")
    developer, _ = user(project, 2)
    assert developer.delete(f"/projects/{project}/repositories/app/artifacts/v1").status_code == 403
    assert admin.delete(f"/projects/{project}/repositories/app/artifacts/v1").status_code == 200
    assert registry.get(f"/v2/{project}/app/manifests/{digest}").status_code == 404
    assert admin.delete(f"/projects/{project}/repositories/app/artifacts/v1").status_code == 404
    gone = image_in(f"{project}/gone", "v1")
    assert registry.get(f"/v2/{project}/gone/manifests/{gone}").status_code == 200  # now cached
    assert developer.delete(f"/projects/{project}/repositories/gone").status_code == 403
    assert admin.delete(f"/projects/{project}/repositories/gone").status_code == 200
    assert admin.delete(f"/projects/{project}/repositories/gone").status_code == 404
    assert registry.get(f"/v2/{project}/gone/manifests/{gone}").status_code == 404
