"""The node's container runtime as the agent's image back end, over CRI v1.

Every call is one CRI ``ImageService`` call, as the kubelet makes it: ``ImageStatus``
for "is it present", one ``PullImage`` per credential with an ``AuthConfig``,
``ListImages``/``RemoveImage``/``ImageFsInfo`` for garbage collection. What the runtime
pulls is exactly what its containers will run, and what ``crictl images`` or
``ctr -n k8s.io images ls`` shows. Mirrors and plain-HTTP registries are configured
in the runtime itself (containerd: ``config_path`` hosts.toml files).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import grpc
from google.protobuf.message import Message

from registry.agent.cri import api_pb2 as pb
from registry.agent.cri.api_pb2_grpc import ImageServiceStub
from registry.agent.errors import InputError, PullError, RuntimeCallError, UnauthorizedError
from registry.agent.keyring import Credential
from registry.agent.runtime import ImageFs, ImageRuntime, RuntimeImage
from registry.agent.workloads import PodSpec
from registry.oci.reference import ImageReference

# Where the kubelet looks for a runtime when told nothing (containerd first, then CRI-O).
DEFAULT_SOCKETS = ("/run/containerd/containerd.sock", "/var/run/crio/crio.sock")
CALL_TIMEOUT = 60.0  # seconds for every call but PullImage, which takes as long as the image does
MAX_MESSAGE = 16 << 20  # the kubelet's limit for CRI replies (a node's ListImages can be long)
# Go spells these two gRPC codes differently from the rest (``NotFound`` from NOT_FOUND).
_GO_CODE_NAMES = {grpc.StatusCode.OK: "OK", grpc.StatusCode.CANCELLED: "Canceled"}
# How registries word a refused credential in the runtime's error text (containerd, CRI-O).
_REFUSED = ("401 Unauthorized", "403 Forbidden", "unauthorized:", "authorization failed", "denied:")


def socket_path(endpoint: str) -> str:
    """The socket file of ``unix:///path`` (or a bare absolute path, which the kubelet also takes)."""
    if endpoint.startswith("unix://"):
        path = endpoint.removeprefix("unix://")
    elif endpoint.startswith("/"):
        path = endpoint
    else:
        raise InputError("--runtime-endpoint", f"{endpoint!r}: only unix:///path/to/socket endpoints are supported")
    if not path.startswith("/"):
        raise InputError("--runtime-endpoint", f"{endpoint!r}: the socket path must be absolute (unix:///…)")
    return path


def default_endpoint() -> str:
    """The first runtime socket of the usual places that exists on this node."""
    for path in DEFAULT_SOCKETS:
        if Path(path).exists():
            return f"unix://{path}"
    raise InputError("--runtime-endpoint", "no container runtime socket found at " + " or ".join(DEFAULT_SOCKETS)
                     + "; name one with --runtime-endpoint unix:///path/to/socket")


def rpc_message(error: grpc.aio.AioRpcError) -> str:
    """A CRI error as the kubelet prints it (Go's gRPC status text: ``code = NotFound``)."""
    code = error.code()
    name = _GO_CODE_NAMES.get(code) or "".join(part.capitalize() for part in code.name.split("_"))
    return f"rpc error: code = {name} desc = {error.details()}"


def _image(message: pb.Image) -> RuntimeImage:
    return RuntimeImage(message.id, tuple(message.repo_tags), tuple(message.repo_digests), message.size,
                        message.pinned)


def _spec(ref: ImageReference | str) -> pb.ImageSpec:
    return pb.ImageSpec(image=str(ref))


class CriRuntime(ImageRuntime):
    """A CRI runtime at ``endpoint`` (``unix:///run/containerd/containerd.sock``)."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.socket = socket_path(endpoint)
        self._channel: grpc.aio.Channel | None = None
        self._stub: ImageServiceStub | None = None

    def _images(self) -> ImageServiceStub:
        if self._stub is None:  # made on first use, inside the event loop that makes the calls
            self._channel = grpc.aio.insecure_channel(
                f"unix://{self.socket}", options=[("grpc.max_receive_message_length", MAX_MESSAGE)])
            self._stub = ImageServiceStub(self._channel)
        return self._stub

    async def _call(self, method: str, request: Message, timeout: float | None = CALL_TIMEOUT) -> Any:
        """One ImageService call; any gRPC failure becomes a RuntimeCallError in the kubelet's words."""
        try:
            return await getattr(self._images(), method)(request, timeout=timeout)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.UNAVAILABLE:
                raise RuntimeCallError(f"container runtime at {self.endpoint} is not available: "
                                       f"{rpc_message(exc)}") from None
            raise RuntimeCallError(rpc_message(exc)) from None

    async def status(self, ref: ImageReference) -> RuntimeImage | None:
        reply = await self._call("ImageStatus", pb.ImageStatusRequest(image=_spec(ref)))
        return _image(reply.image) if reply.HasField("image") else None

    async def pull(self, ref: ImageReference, credential: Credential | None = None, pod: PodSpec | None = None) -> str:
        auth = pb.AuthConfig(username=credential.username, password=credential.password) if credential else None
        # The pod the image is for, as the kubelet sends its sandbox config (runtimes may pull per runtime class).
        sandbox = pb.PodSandboxConfig(metadata=pb.PodSandboxMetadata(name=pod.name, uid=pod.uid,
                                                                     namespace=pod.namespace)) if pod else None
        request = pb.PullImageRequest(image=_spec(ref), auth=auth, sandbox_config=sandbox)
        try:
            reply = await self._call("PullImage", request, timeout=None)
        except RuntimeCallError as exc:
            text = str(exc)
            raise (UnauthorizedError if any(word in text for word in _REFUSED) else PullError)(text) from None
        return reply.image_ref

    async def images(self) -> list[RuntimeImage]:
        reply = await self._call("ListImages", pb.ListImagesRequest())
        return [_image(image) for image in reply.images]

    async def remove(self, image_id: str) -> None:
        await self._call("RemoveImage", pb.RemoveImageRequest(image=_spec(image_id)))

    async def fs_info(self) -> ImageFs:
        reply = await self._call("ImageFsInfo", pb.ImageFsInfoRequest())
        if not reply.image_filesystems:
            raise RuntimeCallError(f"container runtime at {self.endpoint} reports no image filesystem")
        usage = reply.image_filesystems[0]
        mountpoint = usage.fs_id.mountpoint
        # CRI says how much images use; the filesystem's size comes from the node, as the kubelet's cadvisor does.
        disk = shutil.disk_usage(mountpoint if os.path.exists(mountpoint) else "/")
        return ImageFs(mountpoint, usage.used_bytes.value, disk.total, disk.free)

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = self._stub = None
