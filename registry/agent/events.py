"""Kubelet events for pods, recorded and shown as ``kubectl describe pod`` shows them.

Repeated events are folded into one with a count, as the API server's event
aggregation does, which gives the ``40s (x3 over 2m)`` ages people know.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

NORMAL = "Normal"
WARNING = "Warning"
SOURCE = "kubelet"


@dataclass
class Event:
    type: str
    reason: str
    message: str
    first: float
    last: float
    count: int = 1
    source: str = SOURCE

    def to_json(self) -> dict[str, Any]:
        def stamp(seconds: float) -> str:
            return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")

        return {"type": self.type, "reason": self.reason, "message": self.message, "count": self.count,
                "from": self.source, "firstTimestamp": stamp(self.first), "lastTimestamp": stamp(self.last)}


def human_duration(seconds: float) -> str:
    """kubectl's ``duration.HumanDuration``: ``5s``, ``2m10s``, ``15m``, ``3h20m``, ``2d4h``."""
    if seconds < -1:
        return "<invalid>"
    s = max(int(seconds), 0)
    minutes, hours, days = s // 60, s // 3600, s // 86400
    if s < 120:
        return f"{s}s"
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 192:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    return f"{days}d"


@dataclass
class EventLog:
    """The events of one pod, in order of first occurrence."""

    events: list[Event] = field(default_factory=list)
    clock: Callable[[], float] = time.time
    listener: Callable[[Event], None] | None = None

    def record(self, type_: str, reason: str, message: str) -> Event:
        now = self.clock()
        for event in self.events:
            if (event.type, event.reason, event.message) == (type_, reason, message):
                event.count += 1
                event.last = now
                break
        else:
            event = Event(type_, reason, message, now, now)
            self.events.append(event)
        if self.listener:
            self.listener(event)
        return event

    def reasons(self) -> list[str]:
        return [event.reason for event in self.events]

    def to_json(self) -> list[dict[str, Any]]:
        return [event.to_json() for event in self.events]

    def describe(self, now: float | None = None) -> str:
        """The ``Events:`` section of ``kubectl describe``."""
        if not self.events:
            return "Events:  <none>\n"
        now = self.clock() if now is None else now
        rows = [["Type", "Reason", "Age", "From", "Message"], ["----", "------", "----", "----", "-------"]]
        for event in self.events:
            age = human_duration(now - event.last)
            if event.count > 1:
                age += f" (x{event.count} over {human_duration(now - event.first)})"
            rows.append([event.type, event.reason, age, event.source, event.message])
        return "Events:\n" + "".join("  " + line + "\n" for line in tabulate(rows))


def tabulate(rows: list[list[str]], padding: int = 2) -> list[str]:
    """Left-aligned columns like Go's tabwriter; the last column is not padded."""
    widths = [max(len(row[i]) for row in rows) + padding for i in range(len(rows[0]) - 1)]
    return ["".join(cell.ljust(width) for cell, width in zip(row, widths)) + row[-1] for row in rows]


def go_duration(seconds: float) -> str:
    """A duration truncated to milliseconds, written as Go's ``time.Duration`` prints it."""
    ms = int(seconds * 1000)
    if ms <= 0:
        return "0s"
    if ms < 1000:
        return f"{ms}ms"
    minutes, rest = divmod(ms, 60_000)
    hours, minutes = divmod(minutes, 60)
    secs = f"{rest / 1000:.3f}".rstrip("0").rstrip(".")
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if hours or minutes else "") + f"{secs}s"
