"""The tag cache behind fast manifest GETs never serves a moved or deleted tag.

Two processes share one SQLite database: every change made through one must be seen
by the very next request to the other, and by the process that made it.
"""
from __future__ import annotations

from pathlib import Path

from tests.support.client import RegistryClient
from tests.support.images import OCI_MANIFEST, make_image
from tests.support.server import ADMIN_PASSWORD, BerthServer

ADMIN = ("admin", ADMIN_PASSWORD)
REPO = "library/cached"


def _digest(client: RegistryClient, tag: str) -> str | int:
    response = client.get(f"/v2/{REPO}/manifests/{tag}", headers={"Accept": OCI_MANIFEST})
    return response.headers["Docker-Content-Digest"] if response.status_code == 200 else response.status_code


def test_tag_moves_and_deletes_are_seen_at_once_by_every_process(tmp_path: Path) -> None:
    settings = {"auth": {"auto_create_projects": True}}
    writer = BerthServer(tmp_path / "data", settings=settings).start()
    reader = BerthServer(tmp_path / "data", settings=settings).start()
    try:
        a, b = RegistryClient(writer.url, ADMIN), RegistryClient(reader.url, ADMIN)
        first, second = make_image(layers=1), make_image(layers=1)
        a.push_image(REPO, first, "t")
        for _ in range(3):  # fill both caches
            assert _digest(b, "t") == first.digest and _digest(a, "t") == first.digest
        a.push_image(REPO, second, "t")
        assert _digest(b, "t") == second.digest
        assert _digest(a, "t") == second.digest
        b.push_image(REPO, first, "t")
        assert _digest(b, "t") == first.digest
        assert _digest(a, "t") == first.digest
        assert a.delete(f"/v2/{REPO}/manifests/t").status_code == 202
        assert _digest(b, "t") == 404
        assert _digest(a, "t") == 404
    finally:
        reader.stop()
        writer.stop()
