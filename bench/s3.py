"""The S3 section: Berth and CNCF Distribution, each storing blobs in the same SeaweedFS
(``weed server -s3``, on the load generator's core), pushing and pulling one large blob.

- push: one PUT of the blob (Berth writes it as parts while it arrives; Distribution
  as its driver's chunks);
- pull through the registry (each streams the object from S3), whole and as a Range
  from the middle;
- pull by redirect: the registry answers 307 with a signed URL and the client (curl
  ``-L``) fetches from S3 itself, which is what ``storage.s3.redirect`` is for;
- memory: the servers' peak RSS rise over one upload and download of the large blob.

SeaweedFS is started the way the test suite starts it (``tests.support.services``), so
the bench needs the test extras installed, as it needs wrk and curl.
"""
from __future__ import annotations

import http.client
import json
import os
import time
import urllib.request
import uuid
from pathlib import Path

import yaml

from bench import load
from bench.client import RegistryClient, random_file
from bench.servers import Berth, Distribution, Server, running
from tests.support.services import S3_ACCESS_KEY, S3_BUCKET, S3_SECRET_KEY, start_seaweedfs

REPO = "bench/s3"
MIB = 1 << 20
RANGE = 8 * MIB


class DistributionOnS3(Distribution):
    """``docker-registry`` with the s3 driver (path style against ``endpoint``), redirects on or off."""

    def __init__(self, workdir: Path, endpoint: str, cpus: str | None, *, redirect: bool) -> None:
        super().__init__(workdir, workdir / "unused", cpus)
        config = yaml.safe_load(self.config.read_text())
        config["storage"] = {
            "s3": {"accesskey": S3_ACCESS_KEY, "secretkey": S3_SECRET_KEY, "region": "us-east-1",
                   "regionendpoint": endpoint, "bucket": S3_BUCKET, "secure": False, "v4auth": True,
                   "rootdirectory": f"/dist-{uuid.uuid4().hex[:8]}"},
            "delete": {"enabled": True},
            "redirect": {"disable": not redirect},
        }
        self.config.write_text(yaml.safe_dump(config))

    def env(self) -> dict[str, str]:
        # Its AWS SDK fails to start on a custom CA bundle ("transport unsupported type"), and the
        # endpoint here is plain HTTP anyway.
        return {k: v for k, v in super().env().items() if k != "AWS_CA_BUNDLE"}


def _berth_on_s3(workdir: Path, s3: dict, cpus: str | None, *, redirect: bool) -> Berth:
    data = workdir / f"berth-s3-{uuid.uuid4().hex[:8]}"
    section = {**s3, "prefix": f"berth-{uuid.uuid4().hex[:8]}/", "redirect": redirect}
    return Berth(workdir, data, cpus, auth=False, extra={"storage": {"driver": "s3", "s3": section}})


def _redirects(url: str) -> None:
    """Make sure a redirect-mode server answers 307, so its figure is S3's and not a stream."""
    host, _, path = url.removeprefix("http://").partition("/")
    conn = http.client.HTTPConnection(host, timeout=30)
    conn.request("GET", "/" + path)
    status = conn.getresponse().status
    conn.close()
    if status != 307:
        raise RuntimeError(f"{url} answered {status}, not a redirect")


def _range_mb_s(url: str, start: int, size: int) -> float:
    """One Range GET of ``size`` bytes from ``start``, in MB/s."""
    request = urllib.request.Request(url, headers={"Range": f"bytes={start}-{start + size - 1}"})
    began = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        got = len(response.read())
        if response.status != 206 or got != size:
            raise RuntimeError(f"Range GET of {url} answered {response.status} with {got} bytes")
    return round(size / (time.perf_counter() - began) / 1e6, 1)


class S3Phase:
    def __init__(self, workdir: Path, server_cpu: str | None, rounds: int, blob_bytes: int, big_bytes: int) -> None:
        self.workdir = workdir
        self.cpu = server_cpu
        self.rounds = rounds
        self.blob_bytes = blob_bytes
        self.big_bytes = big_bytes

    def run(self) -> dict:
        print("s3 (SeaweedFS)", flush=True)
        weed = start_seaweedfs()
        try:
            s3 = weed.s3_settings(prefix="")
            servers: dict[str, Server] = {
                "berth": _berth_on_s3(self.workdir, s3, self.cpu, redirect=False),
                "distribution": DistributionOnS3(self.workdir, weed.endpoint, self.cpu, redirect=False),
                "berth_redirect": _berth_on_s3(self.workdir, s3, self.cpu, redirect=True),
                "distribution_redirect": DistributionOnS3(self.workdir, weed.endpoint, self.cpu, redirect=True),
            }
            with running(*servers.values()):
                results = self._transfers(servers)
                results["memory"] = {name: self._growth(servers[name]) for name in ("berth", "distribution")}
        finally:
            weed.stop()
        for key, value in results.items():
            print(f"  {key}: " + ", ".join(f"{n} {v}" for n, v in value.items()), flush=True)
        return results

    def _transfers(self, servers: dict[str, Server]) -> dict:
        results: dict[str, dict] = {"push_put": {}, "blob_get": {}, "range_get": {}, "redirect_get": {}}
        for round_no in range(self.rounds):
            path = self.workdir / f"s3-{round_no}.bin"
            digest = random_file(path, self.blob_bytes)
            names = list(servers)[round_no % 2:] + list(servers)[:round_no % 2]
            for name in names:
                server = servers[name]
                client = RegistryClient(server.url)
                speed = round(self.blob_bytes / client.push_file(REPO, path, digest) / 1e6, 1)
                client.close()
                url = f"{server.url}/v2/{REPO}/blobs/{digest}"
                if name.endswith("_redirect"):
                    _redirects(url)
                    pulled = {"redirect_get": load.download_mb_s(url, 1, self.blob_bytes, follow=True)}
                else:
                    part = min(RANGE, self.blob_bytes // 4)
                    pulled = {"blob_get": load.download_mb_s(url, 1, self.blob_bytes),
                              "range_get": _range_mb_s(url, self.blob_bytes // 2 - part // 2, part)}
                side = name.removesuffix("_redirect")
                for key, value in {"push_put": speed, **pulled}.items():
                    target = name if key == "push_put" else side
                    results[key][target] = max(results[key].get(target, 0.0), value)
            os.unlink(path)
        return results

    def _growth(self, server: Server) -> dict:
        """The peak RSS rise (MiB) over one upload and one download of the large blob."""
        path = self.workdir / "s3-big.bin"
        digest = random_file(path, self.big_bytes)
        server.reset_peak()
        before = server.memory()
        client = RegistryClient(server.url)
        client.push_file(REPO, path, digest)
        client.close()
        load.download_mb_s(f"{server.url}/v2/{REPO}/blobs/{digest}", 1, self.big_bytes)
        after = server.memory()
        os.unlink(path)
        return {"mib": self.big_bytes // MIB, "growth": round(after["peak"] - before["rss"], 1)}


if __name__ == "__main__":  # python3 -m bench.s3 [--quick]: this section alone
    import sys
    import tempfile

    quick = "--quick" in sys.argv
    workdir = Path(tempfile.mkdtemp(prefix="berth-s3-"))
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) > 1:
        os.sched_setaffinity(0, {cores[1]})
    phase = S3Phase(workdir, str(cores[0]) if len(cores) > 1 else None, rounds=1 if quick else 2,
                    blob_bytes=(4 if quick else 256) * MIB, big_bytes=(16 if quick else 1024) * MIB)
    print(json.dumps(phase.run(), indent=1))
