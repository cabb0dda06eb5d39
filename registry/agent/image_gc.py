"""Image garbage collection as the kubelet does it (``realImageGCManager``).

When the image filesystem is at least ``imageGCHighThresholdPercent`` (85) full, unused
images are removed, least recently used first, until usage is back at
``imageGCLowThresholdPercent`` (80). An image is never removed while a given Pod needs
it, while the runtime pins it, or before ``imageMinimumGCAge`` (2 minutes) has passed
since the agent first saw it. Images the agent finds on its first look (no usage state
yet) count as seen long ago, as the kubelet's startup detection does. When not enough
can be freed the node gets an ``ImageGCFailed`` event.

When each image was first seen and last used by a pod is kept in the agent's state as
``image-usage.json``, so the order survives the agent's restarts.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from registry.agent.events import WARNING, EventLog
from registry.agent.errors import InputError
from registry.agent.pull_records import PullRecords
from registry.agent.runtime import ImageRuntime, RuntimeImage
from registry.agent.statefile import write_atomically

USAGE_FILE = "image-usage.json"
HIGH_THRESHOLD = 85.0
LOW_THRESHOLD = 80.0
MINIMUM_AGE = 120.0


@dataclass(frozen=True, slots=True)
class GcPolicy:
    """The kubelet's ``imageGC*`` settings; percentages may have fractions here."""

    high_threshold: float = HIGH_THRESHOLD
    low_threshold: float = LOW_THRESHOLD
    minimum_age: float = MINIMUM_AGE

    def __post_init__(self) -> None:
        if not 0 <= self.low_threshold <= self.high_threshold <= 100:
            raise InputError("image GC", "thresholds must satisfy 0 <= low <= high <= 100")
        if self.minimum_age < 0:
            raise InputError("image GC", "the minimum age must not be negative")


@dataclass
class GcResult:
    usage_percent: float
    wanted: int = 0  # bytes to free to get back to the low threshold
    freed: int = 0
    removed: list[RuntimeImage] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"usagePercent": round(self.usage_percent, 2), "bytesToFree": self.wanted, "bytesFreed": self.freed,
                "removed": [{"id": i.id, "repoTags": list(i.repo_tags), "size": i.size} for i in self.removed]}


class ImageUsage:
    """When each image was first seen and last used, persisted under the agent's state."""

    def __init__(self, state_dir: str | os.PathLike[str], clock: Callable[[], float] = time.time):
        self.path = Path(state_dir) / USAGE_FILE
        self._clock = clock
        self.fresh = not self.path.exists()
        try:
            self._images: dict[str, dict[str, float]] = {} if self.fresh else json.loads(self.path.read_text())
        except (OSError, ValueError) as exc:
            raise InputError(str(self.path), f"unreadable image usage: {exc}") from None

    def _save(self) -> None:
        write_atomically(self.path, json.dumps(self._images, indent=1, sort_keys=True).encode())
        self.fresh = False

    def used(self, image_id: str) -> None:
        """A pod got this image (pulled or present): it is in use now."""
        now = self._clock()
        entry = self._images.setdefault(image_id, {"detected": now})
        entry["lastUsed"] = now
        self._save()

    def observe(self, images: list[RuntimeImage]) -> None:
        """Note images seen for the first time; forget those the runtime no longer has."""
        detected = 0.0 if self.fresh else self._clock()
        ids = {image.id for image in images}
        self._images = {i: e for i, e in self._images.items() if i in ids}
        for image_id in ids:
            self._images.setdefault(image_id, {"detected": detected})
        self._save()

    def detected(self, image_id: str) -> float:
        return self._images.get(image_id, {}).get("detected", self._clock())

    def last_used(self, image_id: str) -> float:
        return self._images.get(image_id, {}).get("lastUsed", 0.0)


async def collect(runtime: ImageRuntime, usage: ImageUsage, records: PullRecords, policy: GcPolicy,
                  needed: set[str], log: EventLog) -> GcResult:
    """One GC pass: free space down to the low threshold, never touching ``needed`` image IDs."""
    fs = await runtime.fs_info()
    percent = 100.0 - fs.available_bytes * 100.0 / fs.capacity_bytes if fs.capacity_bytes else 0.0
    result = GcResult(percent)
    images = await runtime.images()
    usage.observe(images)
    if percent < policy.high_threshold:
        return result
    result.wanted = int(fs.capacity_bytes * (100.0 - policy.low_threshold) / 100.0) - fs.available_bytes
    now = time.time()
    candidates = [image for image in images if image.id not in needed and not image.pinned
                  and now - usage.detected(image.id) >= policy.minimum_age]
    candidates.sort(key=lambda image: (usage.last_used(image.id), usage.detected(image.id)))
    for image in candidates:
        if result.freed >= result.wanted:
            break
        await runtime.remove(image.id)
        records.forget(image.id)
        result.removed.append(image)
        result.freed += image.size
    if result.freed < result.wanted:
        log.record(WARNING, "ImageGCFailed",
                   f"Failed to garbage collect required amount of images. Attempted to free {result.wanted} bytes, "
                   f"but only found {result.freed} bytes eligible to free.")
    usage.observe([image for image in images if image not in result.removed])
    return result
