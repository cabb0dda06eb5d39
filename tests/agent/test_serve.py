"""The folder ``berth agent serve`` watches: what it reads, skips and keeps between rescans."""
from __future__ import annotations

import os

from registry.agent.serve import ManifestDir

POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers:\n  - name: c\n    image: {image}\n"


def test_rescans_read_changes_skip_broken_files_and_keep_uids(tmp_path):
    reports: list[str] = []
    folder = ManifestDir(tmp_path, "default", reports.append)
    (tmp_path / "a.yaml").write_text(POD.format(name="a", image="reg.example/a:1"))
    (tmp_path / "broken.yaml").write_text("kind: Pod\nmetadata: {name: b}\nspec: {containers: []}\n")
    (tmp_path / "notes.txt").write_text("not a manifest")
    assert folder.rescan() is True
    (first,) = folder.pods()
    assert first.name == "a" and len(reports) == 1 and "broken.yaml" in reports[0]
    assert folder.rescan() is False and folder.pods()[0].uid == first.uid
    (tmp_path / "a.yaml").write_text(POD.format(name="a", image="reg.example/a:2"))
    os.utime(tmp_path / "a.yaml", ns=(1, 1))
    assert folder.rescan() is True
    (changed,) = folder.pods()
    assert changed.uid != first.uid and changed.containers[0].image == "reg.example/a:2"
    (tmp_path / "a.yaml").unlink()
    assert folder.rescan() is True and folder.pods() == []
