"""The proxy-cache section: pulls through a proxy-cache project, against the same pulls
from a local project and straight from the upstream (CNCF Distribution on loopback).

- warm: the image is cached; manifest GETs by tag and a layer download through the proxy
  project against the same from a project it was pushed to;
- cold: a 64 MiB layer nobody pulled yet, through the proxy against straight from the
  upstream (the upstream's page cache warmed first, so both read it from memory);
- upstream requests while 1,000 warm tag pulls run within one check interval, counted in
  the upstream's access log.
"""
from __future__ import annotations

import http.client
import json
import os
import time
import urllib.request
from pathlib import Path

from bench import load
from bench.client import DOCKER_MANIFEST, RegistryClient, random_file
from bench.servers import Berth, Distribution, running

REPO = "bench/app"
LOCAL = "local"
PROXY = "hub"
ACCEPT = f"{DOCKER_MANIFEST}, application/vnd.oci.image.manifest.v1+json"
MIB = 1 << 20
WARM_PULLS = 1000
DOWNLOADS_PER_ROUND = 5


def _api(berth: Berth, method: str, path: str, body: dict) -> http.client.HTTPResponse:
    request = urllib.request.Request(f"{berth.url}/api/v2.0{path}", method=method, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    return urllib.request.urlopen(request, timeout=30)


def _proxy_project(berth: Berth, upstream: Distribution) -> None:
    """An endpoint for the upstream and a public proxy-cache project bound to it, through Harbor's API."""
    made = _api(berth, "POST", "/registries", {"name": "upstream", "type": "docker-registry",
                                               "url": upstream.url, "insecure": True})
    endpoint = int(made.headers["Location"].rsplit("/", 1)[1])
    _api(berth, "POST", "/projects", {"project_name": PROXY, "registry_id": endpoint, "metadata": {"public": "true"}})


def _tag_pulls(url: str, count: int) -> None:
    conn = http.client.HTTPConnection(url.removeprefix("http://"), timeout=30)
    for _ in range(count):
        conn.request("GET", f"/v2/{PROXY}/{REPO}/manifests/latest", headers={"Accept": ACCEPT})
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"warm tag pull answered {response.status}")
    conn.close()


class ProxyPhase:
    def __init__(self, workdir: Path, server_cpu: str | None, load_cpus: set[int], rounds: int, seconds: int,
                 cold_bytes: int) -> None:
        self.workdir = workdir
        self.cpu = server_cpu
        self.upstream_cpus = ",".join(str(c) for c in sorted(load_cpus))
        self.rounds = rounds
        self.seconds = seconds
        self.cold_bytes = cold_bytes

    def run(self) -> dict:
        print("proxy cache", flush=True)
        upstream = Distribution(self.workdir, self.workdir / "proxy-upstream", self.upstream_cpus, access_log=True)
        berth = Berth(self.workdir, self.workdir / "proxy-berth", self.cpu, auth=False,
                      extra={"proxy": {"upstream_hosts": "127.0.0.1"}})
        berth.create_project(LOCAL)
        with running(upstream, berth):
            layer_path = self.workdir / "proxy-layer.bin"
            layer_digest = random_file(layer_path, self.cold_bytes)
            for url, repo in ((upstream.url, REPO), (berth.url, f"{LOCAL}/{REPO}")):
                client = RegistryClient(url)
                client.push_image(repo, [layer_path.read_bytes()], ["latest"])
                client.close()
            _proxy_project(berth, upstream)
            proxied, local = f"{berth.url}/v2/{PROXY}/{REPO}", f"{berth.url}/v2/{LOCAL}/{REPO}"
            _tag_pulls(berth.url, 1)  # the cache is filled by the first pull
            load.download_mb_s(f"{proxied}/blobs/{layer_digest}", 1, self.cold_bytes)
            time.sleep(2)  # the fetched layer is committed to the store behind the download (fsync)
            results = {"warm_manifest": self._alternate({"proxy": f"{proxied}/manifests/latest",
                                                         "local": f"{local}/manifests/latest"}),
                       "warm_layer_mb_s": self._downloads({"proxy": f"{proxied}/blobs/{layer_digest}",
                                                           "local": f"{local}/blobs/{layer_digest}"},
                                                          self.cold_bytes)}
            before = upstream.requests()
            _tag_pulls(berth.url, WARM_PULLS)
            results["upstream_requests_per_1000_warm_pulls"] = upstream.requests() - before
            results["cold_layer"] = self._cold(upstream, proxied)
        warm, cold = results["warm_manifest"], results["cold_layer"]
        print(f"  warm manifest: proxy {warm['proxy']['rps']:.0f}/s, local {warm['local']['rps']:.0f}/s; "
              f"cold {self.cold_bytes // MIB} MiB: proxy {cold['proxy_s']} s, upstream {cold['upstream_s']} s; "
              f"upstream requests per {WARM_PULLS} warm pulls: {results['upstream_requests_per_1000_warm_pulls']}",
              flush=True)
        return results

    def _alternate(self, urls: dict[str, str]) -> dict:
        best: dict[str, dict] = {}
        for round_no in range(self.rounds):
            names = list(urls)[round_no % 2:] + list(urls)[:round_no % 2]
            for name in names:
                rate = load.rate(urls[name], connections=16, seconds=self.seconds, headers={"Accept": ACCEPT})
                if rate.errors:
                    raise RuntimeError(f"{urls[name]} answered {rate.errors} errors")
                if name not in best or rate.rps > best[name]["rps"]:
                    best[name] = rate.as_dict()
        return best

    def _downloads(self, urls: dict[str, str], size: int) -> dict[str, float]:
        """The best of several alternated downloads each: one takes tens of milliseconds, so a
        single stall of the machine decides a best of few."""
        best: dict[str, float] = {}
        for round_no in range(self.rounds * DOWNLOADS_PER_ROUND):
            names = list(urls)[round_no % 2:] + list(urls)[:round_no % 2]
            for name in names:
                best[name] = max(best.get(name, 0.0), load.download_mb_s(urls[name], 1, size))
        return best

    def _cold(self, upstream: Distribution, proxied: str) -> dict:
        """Best of ``rounds`` layers, each pulled first straight from the upstream, then cold through Berth."""
        best = {"upstream_s": float("inf"), "proxy_s": float("inf")}
        client = RegistryClient(upstream.url)
        for round_no in range(self.rounds):
            path = self.workdir / f"proxy-cold-{round_no}.bin"
            digest = random_file(path, self.cold_bytes)
            client.push_file(REPO, path, digest)
            os.unlink(path)
            for key, url in (("upstream_s", f"{upstream.url}/v2/{REPO}/blobs/{digest}"),
                             ("proxy_s", f"{proxied}/blobs/{digest}")):
                seconds = self.cold_bytes / (load.download_mb_s(url, 1, self.cold_bytes) * 1e6)
                best[key] = min(best[key], round(seconds, 3))
        client.close()
        return best
