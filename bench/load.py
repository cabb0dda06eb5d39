"""Load generators: wrk (hey for HEAD) for request rates and latencies, curl for transfer speed.

Both run as children of this process and so inherit its CPU affinity (the load
generator's core).
"""
from __future__ import annotations

import csv
import io
import re
import subprocess
from dataclasses import asdict, dataclass

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


@dataclass
class Rate:
    """One wrk run: requests per second and latency percentiles in milliseconds."""

    rps: float
    p50: float
    p99: float
    errors: int

    def as_dict(self) -> dict:
        return asdict(self)


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return round(float(value) * _UNITS[unit], 3)


def rate(url: str, *, connections: int, seconds: int, method: str = "GET",
         headers: dict[str, str] | None = None) -> Rate:
    """Closed-loop load with ``connections`` keep-alive connections.

    wrk is the lighter client, but it waits for a body after a HEAD response that
    declares a length, so HEAD goes to hey.
    """
    if method == "HEAD":
        return _hey(url, connections, seconds, method, headers or {})
    return _wrk(url, connections, seconds, headers or {})


def _wrk(url: str, connections: int, seconds: int, headers: dict[str, str]) -> Rate:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    if not rps:
        raise RuntimeError(f"wrk completed no request of {url} in {seconds} s")
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out)[1])
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out)[1])
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(bad[1]) if bad else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return Rate(round(rps, 1), p50, p99, errors)


def _hey(url: str, connections: int, seconds: int, method: str, headers: dict[str, str]) -> Rate:
    """hey's per-request CSV (its summary omits percentiles it has too few samples for)."""
    command = ["hey", "-z", f"{seconds}s", "-c", str(connections), "-m", method, "-o", "csv"]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    times = sorted(float(row["response-time"]) * 1e3 for row in rows)
    if not times:  # a window without a single answer is a failed measurement, not a zero
        raise RuntimeError(f"hey completed no request of {url} in {seconds} s")
    elapsed = max(float(row["offset"]) + float(row["response-time"]) for row in rows)
    errors = sum(1 for row in rows if not row["status-code"].startswith(("2", "3")))
    return Rate(round(len(rows) / elapsed, 1), round(_percentile(times, 0.50), 3),
                round(_percentile(times, 0.99), 3), errors)


def _percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def download_mb_s(url: str, parallel: int, expected: int, headers: dict[str, str] | None = None,
                  follow: bool = False) -> float:
    """Fetch ``url`` with ``parallel`` curls at once (following redirects with ``follow``);
    aggregate MB/s (10^6 bytes per second) over the longest transfer as curl timed it, so
    that starting the processes (milliseconds, against tens of them for a 64 MiB blob) is
    not counted."""
    command = ["curl", "-sf", "-o", "/dev/null", "-w", "%{size_download} %{time_total}\n",
               *(["-L"] if follow else [])]
    for key, value in (headers or {}).items():
        command += ["-H", f"{key}: {value}"]
    procs = [subprocess.Popen(command + [url], stdout=subprocess.PIPE, text=True) for _ in range(parallel)]
    reports = [(proc.communicate()[0].split() or ["0", "0"]) for proc in procs]
    sizes = [int(size) for size, _ in reports]
    if any(proc.returncode for proc in procs) or any(size != expected for size in sizes):
        raise RuntimeError(f"download of {url} failed: sizes {sizes}")
    return round(sum(sizes) / max(float(seconds) for _, seconds in reports) / 1e6, 1)
