"""Content discovery: tags list, catalog and referrers with pagination (end-8, end-12)."""
from __future__ import annotations

from urllib.parse import quote

from tests.support.client import error_codes
from tests.support.images import OCI_INDEX, descriptor, make_image, sha256


def _tagged(client, repo, tags):
    image = make_image(layers=1)
    client.push_image(repo, image)
    for tag in tags:
        assert client.push_manifest(repo, tag, image.manifest, image.media_type).status_code == 201
    return image


def test_tags_list_and_pagination(client, repo):
    _tagged(client, repo, ["c", "a", "b", "e", "d"])
    assert client.get(f"/v2/{repo}/tags/list").json() == {"name": repo, "tags": ["a", "b", "c", "d", "e"]}
    page = client.get(f"/v2/{repo}/tags/list?n=2")
    assert page.json()["tags"] == ["a", "b"]
    assert page.headers["Link"] == f'</v2/{repo}/tags/list?n=2&last=b>; rel="next"'
    follow = client.get(page.headers["Link"].split(";")[0].strip("<>"))
    assert follow.json()["tags"] == ["c", "d"]
    last = client.get(f"/v2/{repo}/tags/list?n=2&last=d")
    assert last.json()["tags"] == ["e"] and "Link" not in last.headers
    assert client.get(f"/v2/{repo}/tags/list?last=b").json()["tags"] == ["c", "d", "e"]
    zero = client.get(f"/v2/{repo}/tags/list?n=0")
    assert zero.json()["tags"] == [] and "Link" not in zero.headers


def test_tags_list_bad_n(client, repo):
    _tagged(client, repo, ["a"])
    for bad in ("-1", "abc"):
        r = client.get(f"/v2/{repo}/tags/list?n={bad}")
        assert r.status_code == 400 and error_codes(r) == ["PAGINATION_NUMBER_INVALID"]


def test_tags_list_of_unknown_repository(client, repo):
    r = client.get(f"/v2/{repo}/tags/list")
    assert r.status_code == 404 and error_codes(r) == ["NAME_UNKNOWN"]


def test_catalog_pagination(client, repo):
    names = [f"{repo}/r{i}" for i in range(3)]
    for name in names:
        _tagged(client, name, ["v1"])
    everything = client.get("/v2/_catalog").json()["repositories"]
    assert set(names) <= set(everything)
    assert everything == sorted(everything)
    first = client.get(f"/v2/_catalog?n=1&last={quote(names[0])}")
    assert first.json()["repositories"] == [names[1]]
    assert "rel=\"next\"" in first.headers["Link"]
    assert client.get("/v2/_catalog?n=0").json() == {"repositories": []}


def test_referrers(client, repo):
    subject = make_image()
    client.push_image(repo, subject, "v1")
    subject_descriptor = descriptor(subject.media_type, subject.manifest)
    sbom = make_image(layers=1, artifact_type="application/vnd.example.sbom", subject=subject_descriptor,
                      annotations={"org.example.kind": "sbom"})
    sig = make_image(layers=1, artifact_type="application/vnd.example.sig", subject=subject_descriptor)
    for artifact in (sbom, sig):
        for blob in artifact.blobs.values():
            client.push_blob(repo, blob)
        r = client.push_manifest(repo, artifact.digest, artifact.manifest, artifact.media_type)
        assert r.status_code == 201
        assert r.headers["OCI-Subject"] == subject.digest
    listed = client.get(f"/v2/{repo}/referrers/{subject.digest}")
    assert listed.status_code == 200
    assert listed.headers["Content-Type"] == OCI_INDEX
    body = listed.json()
    assert body["mediaType"] == OCI_INDEX and body["schemaVersion"] == 2
    by_digest = {m["digest"]: m for m in body["manifests"]}
    assert set(by_digest) == {sbom.digest, sig.digest}
    assert by_digest[sbom.digest]["artifactType"] == "application/vnd.example.sbom"
    assert by_digest[sbom.digest]["annotations"] == {"org.example.kind": "sbom"}
    assert by_digest[sbom.digest]["size"] == len(sbom.manifest)
    filtered = client.get(f"/v2/{repo}/referrers/{subject.digest}?artifactType=application/vnd.example.sig")
    assert filtered.headers["OCI-Filters-Applied"] == "artifactType"
    assert [m["digest"] for m in filtered.json()["manifests"]] == [sig.digest]


def test_referrers_of_unknown_subject_is_an_empty_index(client, repo):
    r = client.get(f"/v2/{repo}/referrers/{sha256(b'nothing')}")
    assert r.status_code == 200 and r.json()["manifests"] == []


def test_referrers_with_invalid_digest(client, repo):
    r = client.get(f"/v2/{repo}/referrers/sha256:1234")
    assert r.status_code == 400 and error_codes(r) == ["DIGEST_INVALID"]


def test_artifact_type_defaults_to_config_media_type(client, repo):
    subject = make_image()
    client.push_image(repo, subject, "v1")
    referrer = make_image(layers=1, subject=descriptor(subject.media_type, subject.manifest),
                          config_media_type="application/vnd.example.config+json")
    client.push_image(repo, referrer)
    listed = client.get(f"/v2/{repo}/referrers/{subject.digest}").json()["manifests"]
    assert listed[0]["artifactType"] == "application/vnd.example.config+json"


def test_subject_may_be_missing(client, repo):
    missing = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha256(b"absent"), "size": 10}
    referrer = make_image(layers=1, artifact_type="application/vnd.example.sig", subject=missing)
    client.push_image(repo, referrer)
    listed = client.get(f"/v2/{repo}/referrers/{sha256(b'absent')}").json()["manifests"]
    assert [m["digest"] for m in listed] == [referrer.digest]
