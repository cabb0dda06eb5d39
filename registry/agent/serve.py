"""``berth agent serve --manifests DIR``: keep the images of DIR's Pods present, like the
kubelet's static Pod path.

DIR is rescanned every ``file_check`` seconds (the kubelet's ``--file-check-frequency``);
a new or changed file is read again, a removed one forgets its Pods. Each Pod whose
images are not all ready is synced again as soon as its back-off allows — one sync at a
time per Pod, the back-off deciding when a failed image is tried again, exactly as a
pod worker does. A file that cannot be read is reported and skipped; the others go on.
Pod UIDs come from the file, the document and the Pod's name, so back-off and events
carry over between rescans of an unchanged file, as static Pods' UIDs do.
"""
from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from registry.agent.documents import load_documents
from registry.agent.errors import AgentError
from registry.agent.events import EventLog
from registry.agent.image_manager import ERR_IMAGE_PULL, IMAGE_PULL_BACKOFF
from registry.agent.node import NodeAgent, PodResult
from registry.agent.secrets import SecretPool, is_secret
from registry.agent.workloads import PodSpec, pods_from_document

SUFFIXES = (".yaml", ".yml", ".json")
FILE_CHECK = 20.0


@dataclass
class _Pod:
    pod: PodSpec
    log: EventLog
    ready: bool = False


def _stable(pod: PodSpec, path: Path, number: int, text: bytes) -> PodSpec:
    seed = hashlib.sha256(b"\0".join([str(path).encode(), str(number).encode(), pod.name.encode(), text])).hexdigest()
    return replace(pod, uid=f"{seed[:8]}-{seed[8:12]}-{seed[12:16]}-{seed[16:20]}-{seed[20:32]}")


class ManifestDir:
    """The Pods and Secrets of one folder, read again when a file changes."""

    def __init__(self, directory: Path, namespace: str, report: Callable[[str], None]):
        self.directory = directory
        self.namespace = namespace
        self.report = report
        self._seen: dict[Path, tuple[int, int]] = {}
        self._files: dict[Path, tuple[list[PodSpec], SecretPool]] = {}

    def rescan(self) -> bool:
        """Read what changed; True when the Pods or Secrets may be different."""
        current = {}
        try:
            for path in sorted(self.directory.iterdir()):
                if path.suffix in SUFFIXES and path.is_file() and not path.name.startswith("."):
                    stat = path.stat()
                    current[path] = (stat.st_mtime_ns, stat.st_size)
        except OSError as exc:  # the folder went away or a file vanished mid-scan: keep what was read, try again
            self.report(f"cannot read {self.directory}: {exc}")
            return False
        if current == self._seen:
            return False
        for path in set(self._files) - set(current):
            del self._files[path]
        for path, stamp in current.items():
            if self._seen.get(path) != stamp:
                self._read(path)
        self._seen = current
        return True

    def _read(self, path: Path) -> None:
        try:
            text = path.read_bytes()
            docs = load_documents(str(path))
            pods = [_stable(pod, path, doc.number, text) for doc in docs if not is_secret(doc)
                    for pod in pods_from_document(doc, self.namespace)]
            secrets = SecretPool()
            secrets.add_documents([doc for doc in docs if is_secret(doc)], self.namespace)
        except (AgentError, OSError) as exc:
            self._files.pop(path, None)
            self.report(f"skipping {path}: {exc}")
            return
        self._files[path] = (pods, secrets)

    def pods(self) -> list[PodSpec]:
        return [pod for pods, _ in self._files.values() for pod in pods]

    def secrets(self, base: SecretPool) -> SecretPool:
        pool = SecretPool(dict(base.secrets))
        for _, secrets in self._files.values():
            pool.secrets.update(secrets.secrets)
        return pool


async def serve(agent: NodeAgent, manifests: ManifestDir, stop: asyncio.Event, *, file_check: float = FILE_CHECK,
                on_ready: Callable[[PodResult], None] | None = None) -> None:
    """Sync the folder's Pods until ``stop`` is set."""
    base = agent.secrets
    pods: dict[str, _Pod] = {}
    while not stop.is_set():
        if manifests.rescan():
            agent.secrets = manifests.secrets(base)
            pods = {pod.uid: pods.get(pod.uid) or _Pod(pod, agent.event_log(pod)) for pod in manifests.pods()}
        wait = file_check
        for state in pods.values():
            if state.ready:
                continue
            result = await agent.run_pod(state.pod, state.log, retry=False)
            if result.ready:
                state.ready = True
                if on_ready:
                    on_ready(result)
            else:
                wait = min(wait, _next_try(agent, result, file_check))
        try:
            await asyncio.wait_for(stop.wait(), timeout=max(wait, 0.01))
        except asyncio.TimeoutError:
            pass


def _next_try(agent: NodeAgent, result: PodResult, file_check: float) -> float:
    """How long until one of the pod's failed pulls may be tried again; other waits (an image
    absent with Never, an invalid name) change only with the files, so they wait for a rescan."""
    waits = [agent.images.retry_after(result.pod, status.container)
             for status in result.init_containers + result.containers
             if status.image.reason in (ERR_IMAGE_PULL, IMAGE_PULL_BACKOFF)]
    return min(waits, default=file_check)
