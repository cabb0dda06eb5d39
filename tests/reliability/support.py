"""Helpers for the reliability and bad-input suites: the maintenance commands, on-disk
snapshots, image checks, and the figures file the suites leave behind."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from tests.support.client import RegistryClient
from tests.support.images import Image, sha256
from tests.support.server import ROOT, BerthServer

ARTIFACTS = ROOT / "test-artifacts" / "reliability.json"
CONTENT_TABLES = ("repositories", "manifests", "manifest_refs", "tags", "blob_links", "projects", "users")
_figures_lock = threading.Lock()


def record_figures(**figures) -> None:
    """Merge figures into test-artifacts/reliability.json, for the release note to quote."""
    with _figures_lock:
        ARTIFACTS.parent.mkdir(parents=True, exist_ok=True)
        current = json.loads(ARTIFACTS.read_text()) if ARTIFACTS.exists() else {}
        current.update(figures)
        ARTIFACTS.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")


def maintenance(server: BerthServer, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``berth gc|fsck ...`` against the server's data directory (it may be running or not)."""
    config = server.data_dir.parent / f"berth-{server.port}.yml"
    return subprocess.run(
        [sys.executable, "-m", "registry", *args, "--config", str(config), "--data", str(server.data_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout,
    )


def gc(server: BerthServer, *args: str) -> dict:
    """Run GC and return its JSON totals."""
    result = maintenance(server, "gc", "--json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def fsck_clean(server: BerthServer) -> None:
    result = maintenance(server, "fsck")
    assert result.returncode == 0, f"fsck found problems:\n{result.stdout}\n{result.stderr}"


def blob_files(data_dir: Path) -> dict[str, int]:
    """Digest → size of every committed blob on disk."""
    root = data_dir / "blobs"
    return {f"{p.parent.parent.name}:{p.name}": p.stat().st_size for p in root.glob("*/*/*") if p.is_file()}


def row_counts(data_dir: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{data_dir / 'berth.db'}?mode=ro", uri=True) as db:
        return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in CONTENT_TABLES}


def disk_state(data_dir: Path) -> tuple[dict[str, int], dict[str, int]]:
    """What must not change under bad input: the blob tree and the content tables."""
    return blob_files(data_dir), row_counts(data_dir)


def assert_image_intact(client: RegistryClient, repo: str, reference: str, image: Image) -> None:
    manifest = client.get(f"/v2/{repo}/manifests/{reference}", headers={"Accept": image.media_type})
    assert manifest.status_code == 200, (repo, reference, manifest.text)
    assert manifest.content == image.manifest
    for digest in image.blobs:
        blob = client.get(f"/v2/{repo}/blobs/{digest}")
        assert blob.status_code == 200, (repo, digest, blob.text)
        assert sha256(blob.content) == digest
