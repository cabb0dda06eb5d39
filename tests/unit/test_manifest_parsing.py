"""Reading pushed manifests: what they reference and what makes them invalid."""
from __future__ import annotations

import json

import pytest

from registry.oci import mediatypes as mt
from registry.oci.manifest import ManifestError, parse_manifest

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64


def _image(**extra) -> dict:
    return {"schemaVersion": 2, "mediaType": mt.OCI_MANIFEST,
            "config": {"mediaType": mt.OCI_CONFIG, "digest": D1, "size": 10},
            "layers": [{"mediaType": mt.OCI_LAYER_GZIP, "digest": D2, "size": 20}], **extra}


def test_image_manifest():
    parsed = parse_manifest(json.dumps(_image()).encode(), mt.OCI_MANIFEST)
    assert parsed.media_type == mt.OCI_MANIFEST and not parsed.is_index
    assert parsed.config.digest == D1 and [d.digest for d in parsed.layers] == [D2]
    assert parsed.effective_artifact_type() == mt.OCI_CONFIG


def test_artifact_and_subject():
    doc = _image(artifactType="application/x-sig", subject={"mediaType": mt.OCI_MANIFEST, "digest": D1, "size": 5},
                 annotations={"a": "b"})
    parsed = parse_manifest(json.dumps(doc).encode(), None)
    assert parsed.effective_artifact_type() == "application/x-sig"
    assert parsed.subject.digest == D1 and parsed.annotations == {"a": "b"}


def test_index_and_docker_list():
    for media_type in (mt.OCI_INDEX, mt.DOCKER_MANIFEST_LIST):
        doc = {"schemaVersion": 2, "mediaType": media_type,
               "manifests": [{"mediaType": mt.OCI_MANIFEST, "digest": D1, "size": 3,
                              "platform": {"os": "linux", "architecture": "amd64"}}]}
        parsed = parse_manifest(json.dumps(doc).encode(), media_type)
        assert parsed.is_index and parsed.children[0].platform["architecture"] == "amd64"


def test_media_type_from_content_type_when_absent():
    doc = _image()
    del doc["mediaType"]
    assert parse_manifest(json.dumps(doc).encode(), mt.DOCKER_MANIFEST).media_type == mt.DOCKER_MANIFEST
    assert parse_manifest(json.dumps(doc).encode(), "application/json").media_type == mt.OCI_MANIFEST


def test_content_type_parameters_ignored():
    assert parse_manifest(json.dumps(_image()).encode(), mt.OCI_MANIFEST + "; charset=utf-8")


def test_foreign_layers_are_not_required():
    doc = _image()
    doc["layers"][0]["urls"] = ["https://example.invalid/layer"]
    parsed = parse_manifest(json.dumps(doc).encode(), None)
    assert parsed.layers[0].urls


@pytest.mark.parametrize("doc,content_type", [
    (_image(schemaVersion=1), None),
    ({**_image(), "mediaType": mt.DOCKER_SCHEMA1_SIGNED}, None),
    (_image(), mt.OCI_INDEX),
    ({**_image(), "config": None}, None),
    ({**_image(), "layers": [{"mediaType": "x", "digest": D1, "size": True}]}, None),
    ({**_image(), "annotations": {"a": 1}}, None),
    ({**_image(), "artifactType": 5}, None),
    ({"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": {}}, None),
    ({**_image(), "mediaType": "text/plain"}, None),
])
def test_invalid(doc, content_type):
    with pytest.raises(ManifestError) as info:
        parse_manifest(json.dumps(doc).encode(), content_type)
    assert str(info.value)


def test_deep_nesting_is_refused_without_crashing():
    body = b'{"schemaVersion": 2, "annotations": ' + b"[" * 100 + b"]" * 100 + b"}"
    with pytest.raises(ManifestError):
        parse_manifest(body, None)


@pytest.mark.parametrize("doc,content_type", [
    ({"schemaVersion": 1, "name": "team/app", "tag": "v1", "fsLayers": []}, None),
    ({"schemaVersion": 1, "name": "team/app", "tag": "v1", "fsLayers": []}, "text/plain"),
    ({**_image(), "mediaType": mt.DOCKER_SCHEMA1}, None),
    ({k: v for k, v in _image().items() if k != "mediaType"}, mt.DOCKER_SCHEMA1_SIGNED),
])
def test_schema1_is_named(doc, content_type):
    with pytest.raises(ManifestError, match="Docker schema 1 manifests are not supported"):
        parse_manifest(json.dumps(doc).encode(), content_type)
