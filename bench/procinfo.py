"""Memory of a server process tree, read from /proc (no psutil needed).

A server may fork workers, so figures are summed over the process and all its
descendants: that is the memory the service costs the machine.
"""
from __future__ import annotations

from pathlib import Path


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                queue.extend(int(child) for child in (task / "children").read_text().split())
            except OSError:
                continue
    return found


def _status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def reset_peak(pid: int) -> None:
    """Restart VmHWM from the current RSS (``clear_refs`` 5), so later peaks exclude start-up."""
    for process in descendants(pid):
        try:
            Path(f"/proc/{process}/clear_refs").write_text("5")
        except OSError:
            continue


def memory_mib(pid: int) -> dict[str, float]:
    """Current (VmRSS) and peak (VmHWM) resident memory of the tree, in MiB."""
    tree = descendants(pid)
    return {
        "rss": round(sum(_status_kib(p, "VmRSS") for p in tree) / 1024, 1),
        "peak": round(sum(_status_kib(p, "VmHWM") for p in tree) / 1024, 1),
    }
