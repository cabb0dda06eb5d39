"""``berth fsck``: finds corrupt blobs and dangling references, exits 1, and repairs them."""
from __future__ import annotations

import os

from tests.conftest import ADMIN
from tests.reliability.support import assert_image_intact, fsck_clean, maintenance
from tests.support.client import RegistryClient
from tests.support.images import make_image


def _blob_path(data_dir, digest: str):
    algorithm, hex_digest = digest.split(":")
    return data_dir / "blobs" / algorithm / hex_digest[:2] / hex_digest


def test_fsck_reports_and_repairs(fresh_berth):
    server = fresh_berth(settings={"auth": {"auto_create_projects": True}})
    client = RegistryClient(server.url, ADMIN)
    healthy, corrupted, missing = make_image(layers=1), make_image(layers=1), make_image(layers=1)
    for tag, image in (("healthy", healthy), ("corrupted", corrupted), ("missing", missing)):
        client.push_image("library/check", image, tag)
    fsck_clean(server)
    server.stop()

    bad_layer = next(d for d in corrupted.blobs if d != corrupted.digest and len(corrupted.blobs[d]) > 500)
    path = _blob_path(server.data_dir, bad_layer)
    path.write_bytes(b"rotten" + path.read_bytes()[6:])
    os.unlink(_blob_path(server.data_dir, next(iter(missing.blobs))))

    found = maintenance(server, "fsck")
    assert found.returncode == 1
    problems = [line.split("\t") for line in found.stdout.splitlines() if "\t" in line]
    # One line per cause, naming it precisely, with what it breaks and what --repair would do.
    assert sorted(p[0] for p in problems) == ["corrupt-blob", "missing-blob"], found.stdout
    (corrupt,) = [p for p in problems if p[0] == "corrupt-blob"]
    assert corrupt[1] == bad_layer
    assert "content hashes to" in corrupt[2] and "library/check" in corrupt[2]
    assert f"library/check@{corrupted.digest}" in corrupt[2] and "library/check:corrupted" in corrupt[2]
    assert "--repair would quarantine it" in corrupt[2] and "missing" not in corrupt[2]
    (gone,) = [p for p in problems if p[0] == "missing-blob"]
    assert gone[1] == next(iter(missing.blobs)) and "bytes are missing" in gone[2]
    assert "library/check:missing" in gone[2] and "quarantine" not in gone[2]

    repaired = maintenance(server, "fsck", "--repair")
    assert repaired.returncode == 0, repaired.stdout
    assert (server.data_dir / "quarantine" / bad_layer.replace(":", "-")).exists()
    assert not path.exists()
    fsck_clean(server)

    server.start()
    assert_image_intact(client, "library/check", "healthy", healthy)
    for tag in ("corrupted", "missing"):
        assert client.get(f"/v2/library/check/manifests/{tag}").status_code == 404
    assert client.get(f"/v2/library/check/blobs/{bad_layer}").status_code == 404
