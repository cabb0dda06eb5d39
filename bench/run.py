"""The benchmark: Berth and CNCF Distribution with the same data, measured A/B in one run.

Servers run on one core and the load generator on another, so each figure says what
one core of server buys. Every test alternates the order of the servers from round
to round and keeps the best round of each, so drift on a shared machine hits both.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import load, machine, report
from bench.proxy import ProxyPhase
from bench.s3 import S3Phase
from bench.scale import Scale, ScalePhase
from bench.client import DOCKER_MANIFEST, RegistryClient, basic_header, random_file
from bench.servers import ADMIN_PASSWORD, DISTRIBUTION, SERVICE, Berth, Distribution, Nginx, Server, running

REPO = "bench/app"
ACCEPT = f"{DOCKER_MANIFEST}, application/vnd.oci.image.manifest.v1+json"
MIB = 1 << 20
RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Settings:
    seconds: int
    rounds: int
    blob_bytes: int
    big_bytes: int
    chunk_bytes: int
    parallel: int = 8

    @classmethod
    def full(cls) -> "Settings":
        return cls(seconds=4, rounds=2, blob_bytes=256 * MIB, big_bytes=1024 * MIB, chunk_bytes=8 * MIB)

    @classmethod
    def quick(cls) -> "Settings":
        return cls(seconds=2, rounds=1, blob_bytes=4 * MIB, big_bytes=16 * MIB, chunk_bytes=1 * MIB)


@dataclass(frozen=True)
class ReadTest:
    """A request-rate test: the same request to every server (nginx answers a static file)."""

    key: str
    method: str
    connections: int
    path: str
    static: str | None = None  # the nginx path measured alongside, as the machine's ceiling
    headers: tuple[tuple[str, str], ...] = ()


def read_tests(layer_digest: str, with_static: bool) -> list[ReadTest]:
    tiny = "/tiny" if with_static else None
    tests = [ReadTest(f"manifest_get_c{c}", "GET", c, f"/v2/{REPO}/manifests/latest", tiny if c > 1 else None,
                      (("Accept", ACCEPT),)) for c in (1, 16, 64)]
    tests += [ReadTest(f"blob_head_c{c}", "HEAD", c, f"/v2/{REPO}/blobs/{layer_digest}") for c in (16, 64)]
    tests += [ReadTest(f"tags_list_c{c}", "GET", c, f"/v2/{REPO}/tags/list") for c in (16, 64)]
    return tests


@dataclass
class Target:
    """A server under test and how to reach it."""

    name: str
    server: Server
    headers: dict[str, str] = field(default_factory=dict)


def _ordered(targets: list[Target], round_no: int) -> list[Target]:
    """Rotate the order each round so neither side always runs first."""
    shift = round_no % len(targets)
    return targets[shift:] + targets[:shift]


class Benchmark:
    def __init__(self, settings: Settings, workdir: Path, distribution: str = DISTRIBUTION) -> None:
        self.s = settings
        self.workdir = workdir
        self.distribution = distribution
        cores = sorted(os.sched_getaffinity(0))
        self.all_cpus = set(cores)
        # Server on the first core, load on the second; a 1-core machine cannot separate them.
        self.server_cpu = str(cores[0]) if len(cores) > 1 else None
        self.load_cpus = {cores[1]} if len(cores) > 1 else self.all_cpus
        self.berth_data = workdir / "berth-data"
        self.dist_storage = workdir / "distribution-data"
        self.www = workdir / "www"
        self.results: dict = {"settings": settings.__dict__ | {
            "server_cpu": self.server_cpu, "load_cpus": sorted(self.load_cpus)}}
        self.blobs: dict[str, tuple[Path, str]] = {}
        self.layer_digest = ""

    # --- set-up -------------------------------------------------------------------------

    def _blob(self, name: str, size: int) -> tuple[Path, str]:
        path = self.workdir / f"{name}.bin"
        self.blobs[name] = (path, random_file(path, size))
        return self.blobs[name]

    def prepare(self) -> None:
        os.sched_setaffinity(0, self.load_cpus)
        self.results["machine"] = machine.describe(self.distribution)
        self.results["limits"] = {"disk_write_mb_s": machine.disk_write_mb_s(
            self.workdir, max(64, self.s.blob_bytes // MIB))}
        for round_no in range(self.s.rounds):
            self._blob(f"put{round_no}", self.s.blob_bytes)
            self._blob(f"chunked{round_no}", self.s.blob_bytes)
        self._blob("big", self.s.big_bytes)
        self.www.mkdir()
        os.link(self.blobs["put0"][0], self.www / "blob")
        os.chmod(self.workdir, 0o755)
        Berth(self.workdir, self.berth_data, None, auth=True).create_project("bench")

    def _push_image(self, targets: list[Target]) -> None:
        layers = [os.urandom(size) for size in (512 * 1024, 64 * 1024, 4096)]
        for target in targets:
            client = RegistryClient(target.server.url, target.headers.get("Authorization"))
            manifest = client.push_image(REPO, layers, ["latest"] + [f"v{i}" for i in range(1, 50)])
            client.close()
            (self.www / "tiny").write_bytes(manifest)
        self.layer_digest = json.loads(manifest)["layers"][0]["digest"]

    # --- measurements -------------------------------------------------------------------

    def _rates(self, targets: list[Target], tests: list[ReadTest], nginx: Nginx | None = None) -> dict:
        results: dict = {}
        for target in targets:  # warm every server up (connections, caches, JIT-less but lazy imports)
            load.rate(target.server.url + tests[0].path, connections=16, seconds=1,
                      method=tests[0].method, headers=target.headers | dict(tests[0].headers))
        for test in tests:
            runs: dict[str, list[dict]] = {}
            entrants = [(t.name, t.server.url + test.path, t.headers | dict(test.headers)) for t in targets]
            if nginx is not None and test.static:
                entrants.append(("nginx", nginx.url + test.static, {}))
            for round_no in range(self.s.rounds):
                shift = round_no % len(entrants)
                for name, url, headers in entrants[shift:] + entrants[:shift]:
                    rate = load.rate(url, connections=test.connections, seconds=self.s.seconds,
                                    method=test.method, headers=headers)
                    if rate.errors:
                        print(f"  warning: {name} answered {rate.errors} errors in {test.key}", flush=True)
                    runs.setdefault(name, []).append(rate.as_dict())
            results[test.key] = {name: max(r, key=lambda x: x["rps"]) | {"rounds": [x["rps"] for x in r]}
                                 for name, r in runs.items()}
            print(f"  {test.key}: " + ", ".join(f"{n} {v['rps']:.0f}/s" for n, v in results[test.key].items()),
                  flush=True)
        return results

    def _downloads(self, targets: list[Target], nginx: Nginx | None, parallel_too: bool) -> dict:
        path, digest = self.blobs["put0"]
        size = path.stat().st_size
        entrants = [(t.name, f"{t.server.url}/v2/{REPO}/blobs/{digest}", t.headers) for t in targets]
        if nginx is not None:
            entrants.append(("nginx", f"{nginx.url}/blob", {}))
        results: dict = {}
        for parallel in (1, self.s.parallel) if parallel_too else (1,):
            best: dict[str, float] = {}
            for round_no in range(self.s.rounds):
                shift = round_no % len(entrants)
                for name, url, headers in entrants[shift:] + entrants[:shift]:
                    speed = load.download_mb_s(url, parallel, size, headers)
                    best[name] = max(best.get(name, 0.0), speed)
            results[f"blob_get_x{parallel}"] = best
            print(f"  blob GET x{parallel}: " + ", ".join(f"{n} {v:.0f} MB/s" for n, v in best.items()), flush=True)
        return results

    def _pushes(self, targets: list[Target]) -> dict:
        results: dict = {"push_put": {}, "push_chunked": {}}
        for round_no in range(self.s.rounds):
            for target in _ordered(targets, round_no):
                client = RegistryClient(target.server.url, target.headers.get("Authorization"))
                for key, blob, chunk in (("push_put", f"put{round_no}", None),
                                         ("push_chunked", f"chunked{round_no}", self.s.chunk_bytes)):
                    path, digest = self.blobs[blob]
                    seconds = client.push_file(REPO, path, digest, chunk)
                    speed = round(path.stat().st_size / seconds / 1e6, 1)
                    results[key][target.name] = max(results[key].get(target.name, 0.0), speed)
                client.close()
        for key, value in results.items():
            print(f"  {key}: " + ", ".join(f"{n} {v:.0f} MB/s" for n, v in value.items()), flush=True)
        return results

    def _big_transfer(self, target: Target) -> dict:
        """Memory growth over one large upload and download (must stay a few MiB)."""
        path, digest = self.blobs["big"]
        before = target.server.memory()
        client = RegistryClient(target.server.url, target.headers.get("Authorization"))
        client.push_file(REPO, path, digest)
        client.close()
        after_upload = target.server.memory()
        load.download_mb_s(f"{target.server.url}/v2/{REPO}/blobs/{digest}", 1, path.stat().st_size,
                           target.headers)
        after = target.server.memory()
        return {"mib": path.stat().st_size // MIB, "rss_before": before["rss"],
                "rss_after_upload": after_upload["rss"], "rss_after_download": after["rss"],
                "growth": round(after["peak"] - before["rss"], 1)}

    # --- phases -------------------------------------------------------------------------

    def open_phase(self) -> None:
        print("open (no auth)", flush=True)
        berth = Berth(self.workdir, self.berth_data, self.server_cpu, auth=False)
        dist = Distribution(self.workdir, self.dist_storage, self.server_cpu)
        nginx = Nginx(self.workdir, self.www, self.server_cpu)
        # Both fsync a pushed blob; a Berth without fsync shows how much of a push is the disk.
        unsynced = Berth(self.workdir, self.workdir / "berth-unsynced-data", self.server_cpu, auth=False, fsync=False)
        with running(berth, dist, nginx, unsynced):
            targets = [Target("berth", berth), Target("distribution", dist)]
            time.sleep(0.5)
            memory = {}
            for t in targets:  # start-up peaks (Berth hashes the admin password with scrypt) apart
                now = t.server.memory()
                memory[t.name] = {"start": now["rss"], "start_peak": now["peak"]}
                t.server.reset_peak()
            self._push_image(targets)
            self.results["big_transfer"] = {t.name: self._big_transfer(t) for t in targets}
            self.results["transfers"] = self._pushes(targets + [Target("berth_no_fsync", unsynced)])
            for t in targets:
                memory[t.name]["after_push"] = t.server.memory()["rss"]
            self.results["transfers"] |= self._downloads(targets, nginx, parallel_too=True)
            self.results["rates"] = {"open": self._rates(targets, read_tests(self.layer_digest, True), nginx)}
            for t in targets:
                now = t.server.memory()
                memory[t.name] |= {"after_pull": now["rss"], "peak": now["peak"]}
            self.results["memory"] = memory

    def auth_phase(self) -> None:
        print("basic auth", flush=True)
        basic = {"Authorization": basic_header("admin", ADMIN_PASSWORD)}
        berth = Berth(self.workdir, self.berth_data, self.server_cpu, auth=True)
        dist = Distribution(self.workdir, self.dist_storage, self.server_cpu,
                            Distribution.htpasswd_auth(self.workdir, "admin", ADMIN_PASSWORD))
        tests = read_tests(self.layer_digest, False)
        with running(berth):
            with running(dist):
                targets = [Target("berth", berth, basic), Target("distribution", dist, basic)]
                self.results["rates"]["basic"] = self._rates(targets, tests)
                self.results["transfers"]["blob_get_x1_basic"] = self._downloads(
                    targets, None, parallel_too=False)["blob_get_x1"]
            self.results["tokens"] = self._token_rates(berth, basic)
            client = RegistryClient(berth.url, basic["Authorization"])
            bearer = {"Authorization": "Bearer " + client.token(SERVICE, f"repository:{REPO}:pull")}
            client.close()
            print("bearer token", flush=True)
            dist = Distribution(self.workdir, self.dist_storage, self.server_cpu, Distribution.token_auth(berth))
            with running(dist):
                targets = [Target("berth", berth, bearer), Target("distribution", dist, bearer)]
                self.results["rates"]["bearer"] = self._rates(targets, tests)
                self.results["transfers"]["blob_get_x1_bearer"] = self._downloads(
                    targets, None, parallel_too=False)["blob_get_x1"]

    def _token_rates(self, berth: Berth, basic: dict[str, str]) -> dict:
        """Tokens per second: a login (password KDF each time) and an anonymous request."""
        url = f"{berth.url}/service/token?service={SERVICE}&scope=repository:{REPO}:pull"
        results = {}
        for key, headers in (("basic_login", basic), ("anonymous", {})):
            results[key] = load.rate(url, connections=4, seconds=self.s.seconds,
                                    headers=headers).as_dict()
            print(f"  token {key}: {results[key]['rps']:.0f}/s", flush=True)
        return results

    def variants_phase(self) -> None:
        """Berth against itself: the access log's cost, and two workers on all cores."""
        print("access log", flush=True)
        test = [t for t in read_tests(self.layer_digest, False) if t.key in ("manifest_get_c16", "manifest_get_c64")]
        quiet = Berth(self.workdir, self.berth_data, self.server_cpu, auth=False)
        logged = Berth(self.workdir, self.berth_data, self.server_cpu, auth=False, access_log=True)
        with running(quiet, logged):
            self.results["access_log"] = self._rates([Target("off", quiet), Target("on", logged)], test)
        print("workers (unpinned)", flush=True)
        os.sched_setaffinity(0, self.all_cpus)
        cpus = ",".join(str(c) for c in sorted(self.all_cpus))
        one = Berth(self.workdir, self.berth_data, cpus, auth=False)
        two = Berth(self.workdir, self.berth_data, cpus, auth=False, workers=2)
        try:
            with running(one, two):
                self.results["workers"] = self._rates([Target("workers_1", one), Target("workers_2", two)], test)
        finally:
            os.sched_setaffinity(0, self.load_cpus)

    def proxy_phase(self) -> None:
        cold = min(64 * MIB, self.s.blob_bytes)
        self.results["proxy"] = ProxyPhase(self.workdir, self.server_cpu, self.load_cpus, self.s.rounds,
                                           self.s.seconds, cold).run()

    def s3_phase(self) -> None:
        self.results["s3"] = S3Phase(self.workdir, self.server_cpu, self.s.rounds, self.s.blob_bytes,
                                     self.s.big_bytes).run()

    def scale_phase(self) -> None:
        scale = Scale.quick() if self.s.blob_bytes < 64 * MIB else Scale.full()
        self.results["scale"] = ScalePhase(self.workdir, self.server_cpu, scale, self.s.rounds).run()

    def run(self, with_scale: bool = True) -> dict:
        started = time.monotonic()
        self.prepare()
        self.open_phase()
        self.auth_phase()
        self.variants_phase()
        self.proxy_phase()
        self.s3_phase()
        if with_scale:
            self.scale_phase()
        self.results["elapsed_s"] = round(time.monotonic() - started, 1)
        return self.results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small blobs and 2-second runs (a smoke test)")
    parser.add_argument("--seconds", type=int, help="length of each request-rate run")
    parser.add_argument("--out", type=Path, default=RESULTS, help="directory for latest.json and latest.md")
    parser.add_argument("--workdir", type=Path, help="scratch directory (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    parser.add_argument("--no-scale", action="store_true", help="leave out the scale section (seeding takes minutes)")
    parser.add_argument("--berth-root", type=Path, help="measure the Berth code in this checkout instead")
    args = parser.parse_args(argv)
    if args.berth_root:
        Berth.root = args.berth_root.resolve()
    settings = Settings.quick() if args.quick else Settings.full()
    if args.seconds:
        settings = Settings(**(settings.__dict__ | {"seconds": args.seconds}))
    workdir = Path(tempfile.mkdtemp(prefix="berth-bench-", dir=args.workdir))
    try:
        results = Benchmark(settings, workdir).run(with_scale=not args.no_scale)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "latest.md").write_text(report.markdown(results))
    print(f"wrote {args.out / 'latest.json'} and {args.out / 'latest.md'} in {results['elapsed_s']} s")
    return 0
