"""Image pull policies: Kubernetes' defaulting rule and the kubelet's pull decision."""
from __future__ import annotations

from enum import Enum

from registry.oci.reference import DEFAULT_TAG, ImageReference, ReferenceError


class PullPolicy(str, Enum):
    ALWAYS = "Always"
    IF_NOT_PRESENT = "IfNotPresent"
    NEVER = "Never"

    def __str__(self) -> str:
        return self.value


def default_pull_policy(image: str) -> PullPolicy:
    """The policy the API server fills in when a container has none.

    ``Always`` exactly when the tag is ``latest`` (an absent tag and digest count as
    ``latest``); a digest-only reference or an unparsable one gets ``IfNotPresent``.
    """
    try:
        ref = ImageReference.parse(image)
    except ReferenceError:
        return PullPolicy.IF_NOT_PRESENT
    tag = ref.tag if (ref.tag or ref.digest) else DEFAULT_TAG
    return PullPolicy.ALWAYS if tag == DEFAULT_TAG else PullPolicy.IF_NOT_PRESENT


def should_pull(policy: PullPolicy, present: bool) -> bool:
    """Whether the kubelet asks the runtime to pull: Always does, Never never, IfNotPresent when absent."""
    if policy is PullPolicy.ALWAYS:
        return True
    if policy is PullPolicy.NEVER:
        return False
    return not present
