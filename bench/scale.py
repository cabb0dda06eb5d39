"""The scale section: does a request cost more when the registry holds more?

The same requests are measured at each size, from a small registry (200 tags in one
repository and 200 repositories: just enough that every page of 100 is full, so each
answer is the same size at every size) to one holding ``tags`` tags in one repository
and ``repositories`` repositories (and, at the last size, ``blob_links`` blob links):
the latency ratio of the largest to the smallest says whether a scan grows with the data. Distribution is measured on the
tags list and catalog figures at the same sizes. At the largest size, garbage
collection and fsck are timed with their peak memory.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import load
from bench.seed import PROJECT, TAGS_REPO, Base, DistributionTree, HttpSeeder, link_blobs, repo_name, tag_name
from bench.servers import Berth, Distribution, running

ACCEPT = "application/vnd.oci.image.manifest.v1+json"


@dataclass(frozen=True)
class Scale:
    sizes: tuple[tuple[int, int], ...]  # (tags, repositories) at each measured size, growing
    blob_links: int
    seconds: int

    @classmethod
    def full(cls) -> "Scale":
        return cls(sizes=((200, 200), (10_000, 1_000), (100_000, 10_000)), blob_links=1_000_000, seconds=3)

    @classmethod
    def quick(cls) -> "Scale":
        return cls(sizes=((200, 200), (600, 400)), blob_links=5_000, seconds=1)


@dataclass(frozen=True)
class Probe:
    """One request measured at every size; ``path`` is built from the size's (tags, repositories)."""

    key: str
    path: Callable[[int, int], str]
    distribution: bool = False  # Distribution answers it too
    fuzzy: bool = False  # a substring search, reported apart from the exact figures


def _middle(count: int) -> int:
    return count // 2


def probes(digest_of: Callable[[str], str]) -> list[Probe]:
    api = f"/api/v2.0/projects/{PROJECT}/repositories"
    tags_repo = TAGS_REPO.split("/", 1)[1]
    return [
        Probe("manifest_by_tag", lambda t, r: f"/v2/{TAGS_REPO}/manifests/{tag_name(_middle(t))}", True),
        Probe("manifest_by_digest", lambda t, r: f"/v2/{TAGS_REPO}/manifests/{digest_of(tag_name(_middle(t)))}",
              True),
        Probe("tags_list_n100", lambda t, r: f"/v2/{TAGS_REPO}/tags/list?n=100", True),
        Probe("tags_list_n100_deep", lambda t, r: f"/v2/{TAGS_REPO}/tags/list?n=100&last={tag_name(_middle(t))}",
              True),
        Probe("catalog_n100", lambda t, r: "/v2/_catalog?n=100", True),
        Probe("catalog_n100_deep", lambda t, r: f"/v2/_catalog?n=100&last={repo_name(_middle(r))}", True),
        Probe("harbor_repositories_page", lambda t, r: f"{api}?page={max(1, r // 200)}&page_size=100"),
        Probe("harbor_repositories_q_exact", lambda t, r: f"{api}?q=name%3D{repo_name(_middle(r))}"),
        Probe("harbor_artifacts_page",
              lambda t, r: f"{api}/{tags_repo}/artifacts?page={max(1, t // 200)}&page_size=100"),
        Probe("harbor_artifacts_q_tag",
              lambda t, r: f"{api}/{tags_repo}/artifacts?q=tags%3D{tag_name(_middle(t))}"),
        # The middle repository's name less its last digit: up to ten repositories match.
        Probe("harbor_repositories_q_fuzzy", lambda t, r: f"{api}?q=name%3D~{repo_name(_middle(r))[len(PROJECT) + 1:-1]}",
              fuzzy=True),
    ]


def _timed_child(command: list[str], cwd: Path, env: dict[str, str]) -> dict:
    """Run a command; its wall time and its own peak RSS (``wait4``'s rusage, not the whole tree)."""
    began = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):  # fsck exits 1 on problems: dangling links are expected here
        raise RuntimeError(f"{' '.join(command)} failed: {out.decode(errors='replace')[-2000:]}")
    return {"seconds": round(time.perf_counter() - began, 2), "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
            "output": out.decode(errors="replace").strip()[-500:]}


class ScalePhase:
    """One Berth data directory and one Distribution tree per size, so sizes alternate round by round."""

    def __init__(self, workdir: Path, server_cpu: str | None, scale: Scale, rounds: int) -> None:
        self.workdir = workdir
        self.cpu = server_cpu
        self.all_cpus = ",".join(str(c) for c in sorted(os.sched_getaffinity(0) | {int(server_cpu or 0)}))
        self.scale = scale
        self.rounds = rounds
        self.base = Base.make()
        self.digests = {tag_name(i): Base.digest(self.base.manifest(i)) for i in
                        {_middle(tags) for tags, _ in scale.sizes}}

    def _links(self, index: int) -> int:
        return self.scale.blob_links if index == len(self.scale.sizes) - 1 else 0

    def _seed(self, index: int, tags: int, repos: int, seeding: dict) -> tuple[Berth, Distribution]:
        print(f"scale: seeding {tags:,} tags, {repos:,} repositories", flush=True)
        berth = Berth(self.workdir, self.workdir / f"scale-berth-{index}", self.all_cpus, auth=False, fsync=False)
        berth.create_project(PROJECT)
        with running(berth):  # seeded on every core, measured on the server's
            seeding[f"berth_{tags}"] = round(HttpSeeder(berth.url, self.base).grow(range(tags), range(repos)), 1)
        tree = self.workdir / f"scale-distribution-{index}"
        seeding[f"distribution_{tags}"] = round(DistributionTree(tree, self.base).grow(range(tags), range(repos)), 1)
        if self._links(index):
            seeding["blob_links"] = round(link_blobs(berth.root, berth.data, repos, self._links(index)), 1)
        berth.cpus = self.cpu
        return berth, Distribution(self.workdir, tree, self.cpu)

    def _measure(self, url: str, path: str, may_time_out: bool) -> dict:
        """One window's figures; Distribution may answer nothing within it (its walk of a large
        tree takes longer), which is recorded as such — for Berth it fails the run."""
        try:
            rate = load.rate(url + path, connections=16, seconds=self.scale.seconds, headers={"Accept": ACCEPT})
        except RuntimeError:
            if not may_time_out:
                raise
            return {"rps": 0.0, "p50": None, "p99": None, "errors": 0}
        if rate.errors:
            raise RuntimeError(f"{url}{path} answered {rate.errors} errors")
        return rate.as_dict()

    def run(self) -> dict:
        seeding: dict = {}
        servers = [self._seed(i, tags, repos, seeding) for i, (tags, repos) in enumerate(self.scale.sizes)]
        sizes = [{"tags": tags, "repositories": repos, "blob_links": self._links(i), "berth": {}, "distribution": {}}
                 for i, (tags, repos) in enumerate(self.scale.sizes)]
        every = [server for pair in servers for server in pair]
        with running(*every):
            time.sleep(0.3)
            for probe in probes(self.digests.__getitem__):
                for round_no in range(self.rounds):
                    order = list(range(len(sizes)))
                    order = order[round_no % len(order):] + order[:round_no % len(order)]
                    for i in order:
                        tags, repos = self.scale.sizes[i]
                        path = probe.path(tags, repos)
                        entrants = [("berth", servers[i][0])] + ([("distribution", servers[i][1])]
                                                                 if probe.distribution else [])
                        for name, server in entrants:
                            rate = self._measure(server.url, path, may_time_out=name == "distribution")
                            best = sizes[i][name].get(probe.key)
                            if best is None or best["p50"] is None or (rate["p50"] is not None
                                                                        and rate["p50"] < best["p50"]):
                                sizes[i][name][probe.key] = rate
                print(f"  {probe.key}: berth p50 " + " / ".join(f"{s['berth'][probe.key]['p50']}" for s in sizes)
                      + " ms", flush=True)
            for i, (berth, dist) in enumerate(servers):
                sizes[i]["berth_rss_mib"] = berth.memory()["rss"]
                sizes[i]["distribution_rss_mib"] = dist.memory()["rss"]
        return {"sizes": sizes, "seeding_s": seeding, "maintenance": self._maintenance(servers[-1][0])}

    def _maintenance(self, berth: Berth) -> dict:
        """GC (dry run: it marks and sweeps the same, deleting nothing) and fsck over the largest registry."""
        env = berth.env()
        results = {}
        for key, command in (("gc", ("gc", "--dry-run", "--json")), ("fsck", ("fsck",))):
            results[key] = _timed_child(berth._cli(*command), berth.root, env)
            print(f"  {key}: {results[key]['seconds']} s, peak {results[key]['peak_rss_mib']} MiB", flush=True)
        return results


def ratios(results: dict) -> dict[str, dict[str, float]]:
    """Largest ÷ smallest size, p50 and p99, for each probe and server."""
    first, last = results["sizes"][0], results["sizes"][-1]
    out: dict[str, dict[str, float]] = {}
    for server in ("berth", "distribution"):
        for key, small in first[server].items():
            big = last[server][key]
            out.setdefault(key, {})[server + "_p50"] = round(big["p50"] / small["p50"], 2) if small["p50"] and big["p50"] else None
            out[key][server + "_p99"] = round(big["p99"] / small["p99"], 2) if small["p99"] and big["p99"] else None
    return out


if __name__ == "__main__":  # python3 -m bench.scale: this section alone
    import sys
    import tempfile

    quick = "--quick" in sys.argv
    workdir = Path(tempfile.mkdtemp(prefix="berth-scale-"))
    os.chmod(workdir, 0o755)
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) > 1:
        os.sched_setaffinity(0, {cores[1]})
    phase = ScalePhase(workdir, str(cores[0]) if len(cores) > 1 else None,
                       Scale.quick() if quick else Scale.full(), rounds=2)
    found = phase.run()
    found["ratios"] = ratios(found)
    print(json.dumps(found, indent=1))
