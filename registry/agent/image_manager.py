"""The kubelet's per-container image decision (``EnsureImageExists``).

Given a container of a pod: apply the pull policy to what the node has, honour the
back-off of earlier failures, try every matching credential in turn (anonymous only
when none matched) and record the same events the kubelet records.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from registry.agent.backoff import Backoff
from registry.agent.errors import PullError
from registry.agent.events import NORMAL, WARNING, EventLog, go_duration
from registry.agent.keyring import Keyring, union_lookup
from registry.agent.policy import PullPolicy, should_pull
from registry.agent.puller import Puller
from registry.oci.reference import ImageReference, ReferenceError
from registry.agent.store import ContentStore
from registry.agent.workloads import ContainerSpec, PodSpec

ERR_IMAGE_PULL = "ErrImagePull"
IMAGE_PULL_BACKOFF = "ImagePullBackOff"
ERR_IMAGE_NEVER_PULL = "ErrImageNeverPull"
INVALID_IMAGE_NAME = "InvalidImageName"


@dataclass(frozen=True, slots=True)
class ImageStatus:
    """The outcome for one container: ready with an image ID, or waiting with a reason."""

    ready: bool
    reason: str = ""
    image_id: str = ""
    retry_after: float = 0.0


def _backoff_key(pod: PodSpec, container: ContainerSpec) -> str:
    return f"{pod.uid}_{container.image}"


class ImageManager:
    def __init__(self, store: ContentStore, puller: Puller, backoff: Backoff, node_keyrings: list[Keyring]):
        self.store = store
        self.puller = puller
        self.backoff = backoff
        self.node_keyrings = node_keyrings

    async def ensure(self, pod: PodSpec, container: ContainerSpec, keyring: Keyring, log: EventLog) -> ImageStatus:
        image = container.image
        try:
            ref = ImageReference.parse(image).with_default_tag()
        except ReferenceError as exc:
            log.record(WARNING, "InspectFailed",
                       f'Failed to apply default image tag "{image}": couldn\'t parse image name "{image}": {exc}')
            log.record(WARNING, "Failed", f"Error: {INVALID_IMAGE_NAME}")
            return ImageStatus(False, INVALID_IMAGE_NAME)
        present = self.store.find(ref)
        if not should_pull(container.pull_policy, present is not None):
            if present is not None:
                log.record(NORMAL, "Pulled", f'Container image "{image}" already present on machine')
                return ImageStatus(True, image_id=present.config_digest)
            log.record(WARNING, ERR_IMAGE_NEVER_PULL,
                       f'Container image "{image}" is not present with pull policy of {PullPolicy.NEVER}')
            log.record(WARNING, "Failed", f"Error: {ERR_IMAGE_NEVER_PULL}")
            return ImageStatus(False, ERR_IMAGE_NEVER_PULL)
        key = _backoff_key(pod, container)
        if self.backoff.remaining(key) > 0:
            return self.back_off(pod, container, log)
        log.record(NORMAL, "Pulling", f'Pulling image "{image}"')
        started = time.monotonic()
        try:
            result = await self.puller.pull_any(ref, union_lookup(ref, [keyring, *self.node_keyrings]))
        except PullError as exc:
            self.backoff.next(key)
            log.record(WARNING, "Failed", f'Failed to pull image "{image}": {exc}')
            log.record(WARNING, "Failed", f"Error: {ERR_IMAGE_PULL}")
            return ImageStatus(False, ERR_IMAGE_PULL)
        self.backoff.gc()
        took = go_duration(time.monotonic() - started)
        log.record(NORMAL, "Pulled", f'Successfully pulled image "{image}" in {took} ({took} including waiting). '
                                     f"Image size: {result.size} bytes.")
        return ImageStatus(True, image_id=result.image_id)

    def back_off(self, pod: PodSpec, container: ContainerSpec, log: EventLog) -> ImageStatus:
        """Report that the image waits out its back-off; ``retry_after`` says for how long."""
        log.record(NORMAL, "BackOff", f'Back-off pulling image "{container.image}"')
        log.record(WARNING, "Failed", f"Error: {IMAGE_PULL_BACKOFF}")
        return ImageStatus(False, IMAGE_PULL_BACKOFF,
                           retry_after=self.backoff.remaining(_backoff_key(pod, container)))
