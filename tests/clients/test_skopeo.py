"""skopeo, a real containers/image client, pushing, pulling, inspecting and deleting."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests

from tests.clients.skopeo import Skopeo
from tests.conftest import ADMIN
from tests.support.images import make_image, make_index, write_oci_layout


@pytest.fixture
def skopeo(tmp_path: Path) -> Skopeo:
    return Skopeo(tmp_path / "skopeo-home", ADMIN)


def test_copy_image_in_and_out(berth, skopeo, repo, tmp_path):
    image = make_image(layers=3, layer_size=50_000)
    source = write_oci_layout(tmp_path / "src", image, "v1")
    skopeo.copy(f"oci:{source}:v1", f"docker://{berth.host}/{repo}:v1")
    out = tmp_path / "out"
    skopeo.copy(f"docker://{berth.host}/{repo}:v1", f"dir:{out}")
    assert (out / "manifest.json").read_bytes() == image.manifest
    for layer in image.layers:
        digest = __import__("hashlib").sha256(layer).hexdigest()
        assert (out / digest).read_bytes() == layer


def test_copy_multi_platform_index(berth, skopeo, repo, tmp_path):
    index = make_index([("linux", "amd64"), ("linux", "arm64"), ("linux", "s390x")])
    source = write_oci_layout(tmp_path / "src", index, "multi")
    skopeo.copy(f"oci:{source}:multi", f"docker://{berth.host}/{repo}:multi", "--all")
    raw = skopeo.remote("inspect", f"docker://{berth.host}/{repo}:multi", "--raw").stdout
    assert raw.encode() == index.manifest
    out = tmp_path / "out"
    skopeo.copy(f"docker://{berth.host}/{repo}:multi", f"oci:{out}:multi", "--all")
    layout = json.loads((out / "index.json").read_text())
    assert layout["manifests"][0]["digest"] == index.digest
    arm = tmp_path / "arm"
    skopeo.copy(f"docker://{berth.host}/{repo}:multi", f"dir:{arm}", "--override-arch", "arm64")
    assert (arm / "manifest.json").read_bytes() == index.images[1].manifest


def test_inspect_and_list_tags(berth, skopeo, repo, tmp_path):
    image = make_image(arch="arm64")
    source = write_oci_layout(tmp_path / "src", image, "v1")
    for tag in ("v1", "v2"):
        skopeo.copy(f"oci:{source}:v1", f"docker://{berth.host}/{repo}:{tag}")
    info = json.loads(skopeo.remote("inspect", f"docker://{berth.host}/{repo}:v1").stdout)
    assert info["Digest"] == image.digest
    assert info["Architecture"] == "arm64"
    assert sorted(info["RepoTags"]) == ["v1", "v2"]
    tags = json.loads(skopeo.remote("list-tags", f"docker://{berth.host}/{repo}").stdout)
    assert sorted(tags["Tags"]) == ["v1", "v2"]


def test_delete(berth, skopeo, repo, tmp_path):
    image = make_image()
    source = write_oci_layout(tmp_path / "src", image, "v1")
    skopeo.copy(f"oci:{source}:v1", f"docker://{berth.host}/{repo}:v1")
    skopeo.copy(f"oci:{source}:v1", f"docker://{berth.host}/{repo}-keep:v1")
    skopeo.remote("delete", f"docker://{berth.host}/{repo}:v1")
    gone = skopeo.remote("inspect", f"docker://{berth.host}/{repo}:v1", check=False)
    assert gone.returncode != 0
    kept = json.loads(skopeo.remote("inspect", f"docker://{berth.host}/{repo}-keep:v1").stdout)
    assert kept["Digest"] == image.digest


def test_copy_between_repositories_mounts_blobs(berth, skopeo, repo, tmp_path):
    image = make_image(layers=2, layer_size=20_000)
    source = write_oci_layout(tmp_path / "src", image, "v1")
    skopeo.copy(f"oci:{source}:v1", f"docker://{berth.host}/{repo}:v1")
    skopeo.copy(f"docker://{berth.host}/{repo}:v1", f"docker://{berth.host}/{repo}-copy:v1")
    log = berth.log(tail=200_000)
    mounts = re.findall(rf'"POST /v2/{re.escape(repo)}-copy/blobs/uploads/\?\S*mount=\S+ HTTP/1.1" 201', log)
    assert len(mounts) >= 2, log
    assert json.loads(skopeo.remote("inspect", f"docker://{berth.host}/{repo}-copy:v1").stdout)["Digest"] == image.digest


def test_an_immutable_tag_survives_copy_and_delete(berth, skopeo, repo, tmp_path):
    first, second = make_image(layers=1, layer_size=7000), make_image(layers=1, layer_size=7001)
    skopeo.copy(f"oci:{write_oci_layout(tmp_path / 'a', first, 'v1')}:v1", f"docker://{berth.host}/{repo}:rel-1")
    project, name = repo.split("/", 1)
    rule = {"tag_selectors": [{"kind": "doublestar", "decoration": "matches", "pattern": "rel-*"}],
            "scope_selectors": {"repository": [{"kind": "doublestar", "decoration": "repoMatches", "pattern": name}]}}
    made = requests.post(f"{berth.url}/api/v2.0/projects/{project}/immutabletagrules", json=rule, auth=ADMIN,
                         timeout=10)
    assert made.status_code == 201, made.text
    moved = skopeo.copy(f"oci:{write_oci_layout(tmp_path / 'b', second, 'v1')}:v1",
                        f"docker://{berth.host}/{repo}:rel-1", check=False)
    assert moved.returncode != 0 and "configured as immutable" in moved.stderr, moved.stderr
    deleted = skopeo.remote("delete", f"docker://{berth.host}/{repo}:rel-1", check=False)
    assert deleted.returncode != 0 and "configured as immutable" in deleted.stderr, deleted.stderr
    info = json.loads(skopeo.remote("inspect", f"docker://{berth.host}/{repo}:rel-1").stdout)
    assert info["Digest"] == first.digest
