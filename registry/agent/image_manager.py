"""The kubelet's per-container image decision (``EnsureImageExists``).

Given a container of a pod: apply the pull policy to what the runtime has, honour the
back-off of earlier failures, try every matching credential in turn (anonymous only
when none matched) and record the same events the kubelet records. Where images go
is the runtime back end's business (``registry.agent.runtime``); every decision is here.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from registry.agent.backoff import Backoff
from registry.agent.errors import PullError, RuntimeCallError, UnauthorizedError
from registry.agent.events import NORMAL, WARNING, EventLog, go_duration
from registry.agent.keyring import Credential, Keyring, union_lookup
from registry.agent.policy import PullPolicy, should_pull
from registry.agent.pull_records import PullRecords
from registry.agent.runtime import ImageRuntime
from registry.agent.throttle import PullSlots
from registry.agent.workloads import ContainerSpec, PodSpec
from registry.oci.reference import ImageReference, ReferenceError

ERR_IMAGE_PULL = "ErrImagePull"
IMAGE_PULL_BACKOFF = "ImagePullBackOff"
ERR_IMAGE_NEVER_PULL = "ErrImageNeverPull"
INVALID_IMAGE_NAME = "InvalidImageName"
IMAGE_INSPECT_ERROR = "ImageInspectError"


@dataclass(frozen=True, slots=True)
class ImageStatus:
    """The outcome for one container: ready with an image ID, or waiting with a reason."""

    ready: bool
    reason: str = ""
    image_id: str = ""
    retry_after: float = 0.0


@dataclass(frozen=True, slots=True)
class Pulled:
    """A successful pull: the runtime's image reference and the credential that got it (None: anonymous)."""

    image_ref: str
    credential: Credential | None


def _backoff_key(pod: PodSpec, container: ContainerSpec) -> str:
    return f"{pod.uid}_{container.image}"


async def pull_with_credentials(runtime: ImageRuntime, ref: ImageReference, credentials: list[Credential],
                                pod: PodSpec | None = None) -> Pulled:
    """One pull per credential until one succeeds; anonymous only when there is none (as the kubelet).

    The kubelet never falls back to anonymous after credentials failed: a registry that
    refuses every credential the pod holds refuses the pod.
    """
    if not credentials:
        return Pulled(await runtime.pull(ref, None, pod), None)
    errors: list[PullError] = []
    for credential in credentials:
        try:
            return Pulled(await runtime.pull(ref, credential, pod), credential)
        except UnauthorizedError as exc:  # say why, when the credential is known to be unusable
            errors.append(UnauthorizedError(f"{exc}; {credential.problem}") if credential.problem else exc)
        except PullError as exc:
            errors.append(exc)
    if len(errors) == 1:
        raise errors[0]
    raise PullError("[" + ", ".join(str(error) for error in errors) + "]")


class ImageManager:
    """``records`` decide whether a present image may be reused without the credentials
    it was pulled with; ``slots`` bound the pulls running at once on the node."""

    def __init__(self, runtime: ImageRuntime, backoff: Backoff, node_keyrings: list[Keyring],
                 records: PullRecords, slots: PullSlots | None = None):
        self.runtime = runtime
        self.backoff = backoff
        self.node_keyrings = node_keyrings
        self.records = records
        self.slots = slots or PullSlots()

    async def ensure(self, pod: PodSpec, container: ContainerSpec, keyring: Keyring, log: EventLog) -> ImageStatus:
        image = container.image
        try:
            ref = ImageReference.parse(image).with_default_tag()
        except ReferenceError as exc:
            log.record(WARNING, "InspectFailed",
                       f'Failed to apply default image tag "{image}": couldn\'t parse image name "{image}": {exc}')
            log.record(WARNING, "Failed", f"Error: {INVALID_IMAGE_NAME}")
            return ImageStatus(False, INVALID_IMAGE_NAME)
        try:
            present = await self.runtime.status(ref)
        except RuntimeCallError as exc:
            log.record(WARNING, "InspectFailed", f'Failed to inspect image "{image}": {exc}')
            log.record(WARNING, "Failed", f"Error: {IMAGE_INSPECT_ERROR}")
            return ImageStatus(False, IMAGE_INSPECT_ERROR)
        policy = container.pull_policy
        unverified = (present is not None and policy is not PullPolicy.ALWAYS
                      and self.records.must_pull(ref, present.id, keyring.lookup(ref)))
        if unverified and policy is PullPolicy.NEVER:
            log.record(WARNING, ERR_IMAGE_NEVER_PULL,
                       f'Container image "{image}" is present with pull policy of {PullPolicy.NEVER} '
                       "but does not have the proper auth credentials")
            log.record(WARNING, "Failed", f"Error: {ERR_IMAGE_NEVER_PULL}")
            return ImageStatus(False, ERR_IMAGE_NEVER_PULL)
        if not unverified and not should_pull(policy, present is not None):
            if present is not None:
                log.record(NORMAL, "Pulled", f'Container image "{image}" already present on machine')
                return ImageStatus(True, image_id=present.id)
            log.record(WARNING, ERR_IMAGE_NEVER_PULL,
                       f'Container image "{image}" is not present with pull policy of {PullPolicy.NEVER}')
            log.record(WARNING, "Failed", f"Error: {ERR_IMAGE_NEVER_PULL}")
            return ImageStatus(False, ERR_IMAGE_NEVER_PULL)
        key = _backoff_key(pod, container)
        if self.backoff.remaining(key) > 0:
            return self.back_off(pod, container, log)
        log.record(NORMAL, "Pulling", f'Pulling image "{image}"')
        queued = time.monotonic()
        try:
            async with self.slots.slot():
                started = time.monotonic()
                pulled = await pull_with_credentials(self.runtime, ref,
                                                     union_lookup(ref, [keyring, *self.node_keyrings]), pod)
                took = go_duration(time.monotonic() - started)
            size = await self._size(ref)
        except PullError as exc:
            self.backoff.next(key)
            log.record(WARNING, "Failed", f'Failed to pull image "{image}": {exc}')
            log.record(WARNING, "Failed", f"Error: {ERR_IMAGE_PULL}")
            return ImageStatus(False, ERR_IMAGE_PULL)
        self.records.pulled(ref, pulled.image_ref, pulled.credential)
        self.backoff.gc()
        waited = go_duration(time.monotonic() - queued)
        log.record(NORMAL, "Pulled", f'Successfully pulled image "{image}" in {took} ({waited} including waiting). '
                                     f"Image size: {size} bytes.")
        return ImageStatus(True, image_id=pulled.image_ref)

    async def _size(self, ref: ImageReference) -> int:
        """The pulled image's size for the event, asked of the runtime as the kubelet does (``GetImageSize``)."""
        try:
            image = await self.runtime.status(ref)
        except RuntimeCallError:
            return 0
        return image.size if image else 0

    def retry_after(self, pod: PodSpec, container: ContainerSpec) -> float:
        """Seconds before the container's image may be pulled again (0: now)."""
        return self.backoff.remaining(_backoff_key(pod, container))

    def back_off(self, pod: PodSpec, container: ContainerSpec, log: EventLog) -> ImageStatus:
        """Report that the image waits out its back-off; ``retry_after`` says for how long."""
        log.record(NORMAL, "BackOff", f'Back-off pulling image "{container.image}"')
        log.record(WARNING, "Failed", f"Error: {IMAGE_PULL_BACKOFF}")
        return ImageStatus(False, IMAGE_PULL_BACKOFF, retry_after=self.retry_after(pod, container))
