"""Where the node's images live: the interface the image decisions call.

The kubelet never pulls by itself: it decides (policy, keyring, back-off) and asks the
container runtime over CRI's ``ImageService``. ``ImageRuntime`` is that service as
the agent's decisions see it, with two back ends: the agent's own OCI-layout store
(``registry.agent.layout_runtime``) for machines without a runtime, and CRI v1 over
the runtime's socket (``registry.agent.cri.runtime``) for real nodes.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from registry.agent.keyring import Credential
from registry.agent.workloads import PodSpec
from registry.oci.reference import ImageReference


@dataclass(frozen=True, slots=True)
class RuntimeImage:
    """One image the runtime holds (CRI ``Image``): its ID and the names it is known by."""

    id: str
    repo_tags: tuple[str, ...]
    repo_digests: tuple[str, ...]
    size: int
    pinned: bool = False


@dataclass(frozen=True, slots=True)
class ImageFs:
    """The filesystem images are stored on (CRI ``ImageFsInfo`` plus the filesystem's own numbers)."""

    mountpoint: str
    used_bytes: int  # what images take
    capacity_bytes: int
    available_bytes: int


class ImageRuntime(ABC):
    """The runtime's image service. ``pull`` raises PullError (UnauthorizedError when refused)."""

    @abstractmethod
    async def status(self, ref: ImageReference) -> RuntimeImage | None:
        """The image ``ref`` names, or None when the runtime does not have it (``ImageStatus``)."""

    @abstractmethod
    async def pull(self, ref: ImageReference, credential: Credential | None = None, pod: PodSpec | None = None) -> str:
        """Pull with one credential (None: anonymous) for ``pod``; return the image reference (``PullImage``)."""

    @abstractmethod
    async def images(self) -> list[RuntimeImage]:
        """Every image the runtime holds (``ListImages``)."""

    @abstractmethod
    async def remove(self, image_id: str) -> None:
        """Remove an image and all its names; removing an absent one is no error (``RemoveImage``)."""

    @abstractmethod
    async def fs_info(self) -> ImageFs:
        """Usage of the image filesystem (``ImageFsInfo``)."""

    async def close(self) -> None:
        """Release connections; the default holds none."""

    async def __aenter__(self) -> "ImageRuntime":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
