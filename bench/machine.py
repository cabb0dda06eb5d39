"""What the figures were measured on, and what the machine itself can do (disk)."""
from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from pathlib import Path


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _version(command: list[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    return (result.stdout or result.stderr).strip().splitlines()[0] if (result.stdout or result.stderr) else ""


def describe(distribution: str) -> dict[str, str | int]:
    try:
        import uvloop
        loop = f"uvloop {uvloop.__version__}"
    except ImportError:
        loop = "asyncio"
    import aiohttp
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count() or 1,
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "aiohttp": aiohttp.__version__,
        "event_loop": loop,
        "distribution": _version([distribution, "--version"]),
        "nginx": _version(["nginx", "-v"]),
        "wrk": _version(["wrk", "--version"]),
    }


def disk_write_mb_s(directory: Path, mib: int) -> float:
    """Sequential write speed with the data on disk at the end (``dd conv=fdatasync``)."""
    target = directory / "dd.tmp"
    try:
        result = subprocess.run(
            ["dd", "if=/dev/zero", f"of={target}", "bs=8M", f"count={max(1, mib // 8)}", "conv=fdatasync"],
            capture_output=True, text=True, check=True,
        )
    finally:
        target.unlink(missing_ok=True)
    match = re.search(r"(\d+) bytes .* copied, ([\d.]+) s", result.stderr)
    return round(int(match[1]) / float(match[2]) / 1e6, 1) if match else 0.0
