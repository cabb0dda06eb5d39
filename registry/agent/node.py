"""The node agent: what the kubelet does for a pod's images, as a library.

Init containers are handled in order and each must have its image before the next
is considered; app containers follow. A failed pull is retried after the kubelet's
back-off, as the kubelet's sync loop would, for a bounded number of pulls.
"""
from __future__ import annotations

import asyncio
import os
import socket
from dataclasses import dataclass, field
from typing import Any, Callable

from registry.agent.backoff import Backoff
from registry.agent.daemon_config import DaemonConfig
from registry.agent.events import WARNING, Event, EventLog
from registry.agent.image_manager import (
    ERR_IMAGE_PULL,
    IMAGE_PULL_BACKOFF,
    ImageManager,
    ImageStatus,
)
from registry.agent.image_gc import GcPolicy, GcResult, ImageUsage, collect
from registry.agent.keyring import Keyring
from registry.agent.layout_runtime import LayoutRuntime
from registry.agent.platform import Platform
from registry.agent.progress import Progress
from registry.agent.pull_records import PullRecords, VerificationPolicy
from registry.agent.puller import Puller
from registry.agent.runtime import ImageRuntime
from registry.agent.secrets import SecretPool
from registry.agent.store import ContentStore
from registry.agent.throttle import DEFAULT_BURST, DEFAULT_QPS, PullSlots, throttled
from registry.agent.workloads import ContainerSpec, PodSpec
from registry.oci.reference import ImageReference, ReferenceError

POD_INITIALIZING = "PodInitializing"
DEFAULT_ATTEMPTS = 3
_WAKE_MARGIN = 0.005  # sleep a little past the back-off so the retry is not early


@dataclass(frozen=True, slots=True)
class ContainerStatus:
    container: ContainerSpec
    image: ImageStatus

    def to_json(self) -> dict[str, Any]:
        return {"name": self.container.name, "image": self.container.image,
                "imagePullPolicy": str(self.container.pull_policy), "ready": self.image.ready,
                "reason": self.image.reason, "imageID": self.image.image_id}


@dataclass
class PodResult:
    """A pod after its images were handled: container statuses and the pod's events."""

    pod: PodSpec
    node: str
    events: EventLog
    init_containers: list[ContainerStatus] = field(default_factory=list)
    containers: list[ContainerStatus] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return all(s.image.ready for s in self.init_containers + self.containers)

    @property
    def status(self) -> str:
        """The STATUS column of ``kubectl get pods`` as far as images decide it."""
        for status in self.init_containers:
            if not status.image.ready:
                return f"Init:{status.image.reason}"
        for status in self.containers:
            if not status.image.ready:
                return status.image.reason
        return "ImagesReady"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.pod.name, "namespace": self.pod.namespace, "uid": self.pod.uid, "node": self.node,
                "controlledBy": self.pod.owner, "status": self.status,
                "initContainers": [s.to_json() for s in self.init_containers],
                "containers": [s.to_json() for s in self.containers], "events": self.events.to_json()}

    def describe(self) -> str:
        """A ``kubectl describe pod``-like view of the image side of the pod."""
        fields = [("Name", self.pod.name), ("Namespace", self.pod.namespace), ("Node", self.node)]
        if self.pod.owner:
            fields.append(("Controlled By", self.pod.owner))
        fields.append(("Status", self.status))
        lines = [f"{key + ':':<18}{value}" for key, value in fields]
        for title, statuses in (("Init Containers", self.init_containers), ("Containers", self.containers)):
            if not statuses:
                continue
            lines.append(f"{title}:")
            for status in statuses:
                lines += [f"  {status.container.name}:", f"    Image:          {status.container.image}",
                          f"    Pull Policy:    {status.container.pull_policy}"]
                if status.image.ready:
                    lines.append(f"    Image ID:       {status.image.image_id}")
                else:
                    lines += ["    State:          Waiting", f"      Reason:       {status.image.reason}"]
        return "\n".join(lines) + "\n" + self.events.describe()


class NodeAgent:
    """Runs pods' image work on this node. Use as ``async with NodeAgent(state_dir) as agent``.

    ``runtime`` is where images go: the node's container runtime over CRI, or (the
    default) the agent's own OCI-layout store under ``state_dir``, which ``daemon``,
    ``platform`` and ``progress`` configure. ``secrets`` are the pull Secrets pods may
    name; ``node_keyring`` plays the node's ``config.json``; ``attempts`` bounds how
    many pulls a failing image gets; ``backoff_scale`` divides the kubelet's back-off.
    ``max_parallel_image_pulls`` is 1 for the kubelet's serialized pulls (pods are then
    handled one after another), a cap, or None for no cap; ``registry_pull_qps`` (0: no
    limit) and ``registry_burst`` throttle ``PullImage`` calls. ``verification`` and
    ``allowlist`` say which present images a pod may use only with the credentials that
    pulled them (``registry.agent.pull_records``); the records are kept under ``state_dir``.
    """

    def __init__(self, state_dir: str | os.PathLike[str], *, runtime: ImageRuntime | None = None,
                 secrets: SecretPool | None = None,
                 node_keyring: Keyring | None = None, daemon: DaemonConfig | None = None,
                 platform: Platform | None = None, progress: Progress | None = None,
                 attempts: int = DEFAULT_ATTEMPTS, backoff_scale: float = 1.0, node_name: str | None = None,
                 max_parallel_image_pulls: int | None = 1, registry_pull_qps: float = DEFAULT_QPS,
                 registry_burst: int = DEFAULT_BURST,
                 verification: VerificationPolicy = VerificationPolicy.NEVER_VERIFY_PRELOADED,
                 allowlist: tuple[str, ...] = (),
                 on_event: Callable[[PodSpec, Event], None] | None = None):
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        if runtime is None:
            store = ContentStore(state_dir)
            runtime = LayoutRuntime(store, Puller(store, daemon=daemon, platform=platform, progress=progress))
        self.runtime = runtime
        self.secrets = secrets or SecretPool()
        self.backoff = Backoff(scale=backoff_scale)
        self.slots = PullSlots(max_parallel_image_pulls)
        self.records = PullRecords(state_dir, verification, allowlist)
        self.usage = ImageUsage(state_dir)
        self.images = ImageManager(throttled(runtime, registry_pull_qps, registry_burst), self.backoff,
                                   [node_keyring] if node_keyring else [], self.records, self.slots)
        self.attempts = attempts
        self.node_name = node_name or socket.gethostname()
        self._on_event = on_event

    async def __aenter__(self) -> "NodeAgent":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.runtime.close()

    async def run(self, pods: list[PodSpec]) -> list[PodResult]:
        """Handle pods one after another with serialized pulls (the kubelet's default), else side by side.

        Within a pod, containers are always handled in order: the kubelet never pulls one
        pod's images in parallel.
        """
        if self.slots.serialized:
            return [await self.run_pod(pod) for pod in pods]
        return list(await asyncio.gather(*(self.run_pod(pod) for pod in pods)))

    def event_log(self, pod: PodSpec) -> EventLog:
        """A new event log for ``pod`` that also tells ``on_event`` of each event."""
        return EventLog(listener=(lambda event: self._on_event(pod, event)) if self._on_event else None)

    async def run_pod(self, pod: PodSpec, log: EventLog | None = None, *, retry: bool = True) -> PodResult:
        """Get the pod's images. With ``retry`` failed pulls are retried after their back-off,
        up to ``attempts`` pulls; without it this is one sync of the pod, as the kubelet's
        sync loop makes it, and an image still backing off reports ImagePullBackOff.
        ``log`` carries the pod's events over from earlier syncs."""
        log = log or self.event_log(pod)
        result = PodResult(pod, self.node_name, log)
        keyring, missing = self.secrets.keyring_for(pod.namespace, pod.pull_secrets)
        if missing:
            log.record(WARNING, "FailedToRetrieveImagePullSecret",
                       f"Unable to retrieve some image pull secrets ({', '.join(missing)}); "
                       "attempting to pull the image may not succeed.")
        blocked = False
        for container in pod.all_containers:
            if blocked:
                status = ImageStatus(False, POD_INITIALIZING)
            else:
                status = await (self._ensure(pod, container, keyring, log) if retry
                                else self._once(pod, container, keyring, log))
                blocked = container.init and not status.ready
            (result.init_containers if container.init else result.containers).append(
                ContainerStatus(container, status))
        return result

    async def collect_garbage(self, pods: list[PodSpec], policy: GcPolicy | None = None) -> tuple[GcResult, EventLog]:
        """One image GC pass that keeps every image ``pods`` need; the node's events with it."""
        needed = set()
        for container in (c for pod in pods for c in pod.all_containers):
            try:
                image = await self.runtime.status(ImageReference.parse(container.image).with_default_tag())
            except ReferenceError:
                continue
            if image is not None:
                needed.add(image.id)
        log = EventLog()
        return await collect(self.runtime, self.usage, self.records, policy or GcPolicy(), needed, log), log

    async def _sync(self, pod: PodSpec, container: ContainerSpec, keyring: Keyring, log: EventLog) -> ImageStatus:
        """One look at the container's image; a ready image counts as used now (for image GC)."""
        status = await self.images.ensure(pod, container, keyring, log)
        if status.ready:
            self.usage.used(status.image_id)
        return status

    async def _once(self, pod: PodSpec, container: ContainerSpec, keyring: Keyring, log: EventLog) -> ImageStatus:
        """One sync; a failed pull is reported as its back-off right away, as the pod worker's requeue would."""
        status = await self._sync(pod, container, keyring, log)
        return self.images.back_off(pod, container, log) if status.reason == ERR_IMAGE_PULL else status

    async def _ensure(self, pod: PodSpec, container: ContainerSpec, keyring: Keyring, log: EventLog) -> ImageStatus:
        """Sync the container until its image is ready, or it has had ``attempts`` pulls."""
        pulls = 0
        while True:
            status = await self._sync(pod, container, keyring, log)
            if status.reason == IMAGE_PULL_BACKOFF:  # woke before the back-off ended
                await asyncio.sleep(status.retry_after + _WAKE_MARGIN)
                continue
            if status.reason != ERR_IMAGE_PULL:
                return status
            pulls += 1
            status = self.images.back_off(pod, container, log)  # what the next sync reports
            if pulls >= self.attempts:
                return status
            await asyncio.sleep(status.retry_after + _WAKE_MARGIN)
