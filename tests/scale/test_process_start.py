"""Starting scale-out processes: several at once, several workers, and wrong settings."""
from __future__ import annotations

import asyncio
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from storage.blobs import open_blob_store
from storage.meta import open_meta_store
from storage.meta.migrations import MIGRATIONS
from tests.scale.conftest import registry_settings, repository_pulls, started, with_changes
from tests.support.client import RegistryClient
from tests.support.images import OCI_MANIFEST, make_image
from tests.support.server import ADMIN_PASSWORD, BerthServer, free_port
from tests.support.services import Postgres, SeaweedFS

ADMIN = ("admin", ADMIN_PASSWORD)


def schema_versions(settings: dict) -> list[int]:
    async def read() -> list[int]:
        meta = await open_meta_store(settings["database"], Path("."))
        try:
            return await meta.schema_versions()
        finally:
            await meta.close()

    return asyncio.run(read())


def test_workers_share_postgres_and_their_pulls_add_up(postgres: Postgres, seaweedfs: SeaweedFS, tmp_path: Path):
    settings = registry_settings(postgres, seaweedfs)
    server = BerthServer(tmp_path / "data", settings=settings, workers=2)
    try:
        started(server)
        repo = "library/workers"
        image = make_image(layers=2)
        RegistryClient(server.url, ADMIN).push_image(repo, image, "v1")

        def pull(_: int) -> int:  # a new connection each time, so the kernel spreads them over workers
            return RegistryClient(server.url, ADMIN).get(
                f"/v2/{repo}/manifests/v1", headers={"Accept": OCI_MANIFEST}).status_code

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(pull, range(40))) == {200}
    finally:
        assert server.stop() == 0  # SIGTERM: every worker flushes its counters
    assert repository_pulls(settings, repo) == 40


def _start_together_and_serve(settings: dict, tmp_path: Path, count: int) -> None:
    """Start ``count`` processes on ``settings`` at the same moment; each must serve."""
    servers = [BerthServer(tmp_path / f"p{i}" / "data", settings=settings) for i in range(count)]
    barrier = threading.Barrier(count)

    def start(server: BerthServer) -> BerthServer:
        barrier.wait()
        return started(server)

    try:
        with ThreadPoolExecutor(count) as pool:
            list(pool.map(start, servers))
        for server in servers:
            assert RegistryClient(server.url, ADMIN).get("/v2/").status_code == 200
    finally:
        for server in servers:
            server.stop()


def test_processes_starting_together_migrate_once(postgres: Postgres, seaweedfs: SeaweedFS, tmp_path: Path):
    settings = registry_settings(postgres, seaweedfs)
    _start_together_and_serve(settings, tmp_path, 3)
    assert schema_versions(settings) == [version for version, _ in MIGRATIONS]


def test_replicas_starting_together_on_a_new_bucket_all_serve(postgres: Postgres, seaweedfs: SeaweedFS,
                                                               tmp_path: Path):
    """The processes that lose the race to create the bucket find it made, and serve."""
    settings = registry_settings(postgres, seaweedfs)
    settings["storage"]["s3"]["bucket"] = f"fresh-{uuid.uuid4().hex[:12]}"
    _start_together_and_serve(settings, tmp_path, 4)


def test_many_stores_opening_one_new_bucket_at_once(seaweedfs: SeaweedFS):
    """The create race made likely: many stores in one process, all at the same moment."""
    section = {"driver": "s3", "s3": {**seaweedfs.s3_settings(), "bucket": f"race-{uuid.uuid4().hex[:12]}"}}

    async def open_all() -> int:
        stores = await asyncio.gather(*(open_blob_store(section, Path(".")) for _ in range(12)),
                                      return_exceptions=True)
        for store in stores:
            if not isinstance(store, BaseException):
                await store.close()
        failures = [s for s in stores if isinstance(s, BaseException)]
        assert not failures, failures
        return len(stores)

    assert asyncio.run(open_all()) == 12


BROKEN = {  # what is wrong → (the settings that make it so, given PostgreSQL and a closed port; the message)
    "database password": (lambda pg, port: {"database": {"dsn": pg.dsn(password="not-the-password")}},
                          "password authentication failed"),
    "database down": (lambda pg, port: {"database": {"dsn": f"postgresql://berth:x@127.0.0.1:{port}/berth"}},
                      "database: cannot connect"),
    "s3 endpoint down": (lambda pg, port: {"storage": {"s3": {"endpoint": f"http://127.0.0.1:{port}"}}},
                         "storage.s3: bucket"),
    "s3 part size": (lambda pg, port: {"storage": {"s3": {"part_size": 1024}}},
                     "configuration error: storage.s3.part_size"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_wrong_settings_fail_at_start_with_a_clear_message(
        postgres: Postgres, seaweedfs: SeaweedFS, tmp_path: Path, case: str):
    breaking, message = BROKEN[case]
    settings = with_changes(registry_settings(postgres, seaweedfs), **breaking(postgres, free_port()))
    with pytest.raises(RuntimeError) as failed:
        BerthServer(tmp_path / "data", settings=settings).start(timeout=60)
    assert message in str(failed.value)
    assert "Traceback" not in str(failed.value)
    assert "not-the-password" not in str(failed.value)
