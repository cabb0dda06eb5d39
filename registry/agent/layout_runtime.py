"""The agent's own image store as a runtime back end: an OCI image layout filled by ``Puller``.

For machines with no container runtime (a CI box checking a Deployment's images and
Secrets, an air-gapped mirror's staging area). Image IDs are config digests, as with
containerd and docker, so events and statuses read the same through either back end.
"""
from __future__ import annotations

import os
import shutil
from collections import defaultdict

from registry.agent.keyring import Credential
from registry.agent.puller import Puller
from registry.agent.runtime import ImageFs, ImageRuntime, RuntimeImage
from registry.agent.store import ContentStore, ImageDetails
from registry.agent.workloads import PodSpec
from registry.oci.reference import ImageReference


def _image(id_: str, details: list[ImageDetails]) -> RuntimeImage:
    tags, digests = [], []
    for detail in details:
        ref = ImageReference.parse(detail.record.name)
        if ref.tag:
            tags.append(detail.record.name)
        digests.append(f"{ref.name}@{detail.record.repo_digest}")
    return RuntimeImage(id_, tuple(sorted(set(tags))), tuple(sorted(set(digests))), details[0].size)


class LayoutRuntime(ImageRuntime):
    """``ImageRuntime`` over a ContentStore; the puller it is given is closed with it."""

    def __init__(self, store: ContentStore, puller: Puller):
        self.store = store
        self.puller = puller

    def _by_id(self) -> dict[str, list[ImageDetails]]:
        found: dict[str, list[ImageDetails]] = defaultdict(list)
        for record in self.store.records():
            details = self.store.details(record)
            if details is not None:
                found[details.config_digest].append(details)
        return found

    async def status(self, ref: ImageReference) -> RuntimeImage | None:
        details = self.store.find(ref)
        if details is None:
            return None
        return _image(details.config_digest, self._by_id()[details.config_digest])

    async def pull(self, ref: ImageReference, credential: Credential | None = None, pod: PodSpec | None = None) -> str:
        return (await self.puller.pull(ref, credential)).image_id

    async def images(self) -> list[RuntimeImage]:
        return [_image(id_, details) for id_, details in self._by_id().items()]

    async def remove(self, image_id: str) -> None:
        if self.store.remove(image_id):
            self.store.garbage_collect()

    async def fs_info(self) -> ImageFs:
        blobs = self.store.layout / "blobs"
        used = sum(entry.stat().st_size for entry in blobs.rglob("*") if entry.is_file())
        disk = shutil.disk_usage(self.store.state_dir)
        return ImageFs(os.fspath(self.store.layout), used, disk.total, disk.free)

    async def close(self) -> None:
        await self.puller.close()
