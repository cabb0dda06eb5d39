"""The node agent: the kubelet's and container runtime's image work, as a library.

``NodeAgent`` runs pods (pull policies, pull Secrets, back-off, events) and hands
pulls to an ``ImageRuntime``: the node's container runtime over CRI
(``registry.agent.cri.runtime.CriRuntime``) or ``LayoutRuntime``, where ``Puller``
pulls into a ``ContentStore`` (an OCI image layout). Nothing here reaches into a server.
"""
from registry.agent.daemon_config import DaemonConfig, load_daemon_config
from registry.agent.documents import Document, load_documents, parse_documents
from registry.agent.errors import (
    AgentError,
    BlobVerificationError,
    InputError,
    PullError,
    UnauthorizedError,
)
from registry.agent.events import Event, EventLog
from registry.agent.keyring import Credential, Keyring
from registry.agent.layout_runtime import LayoutRuntime
from registry.agent.node import NodeAgent, PodResult
from registry.agent.platform import Platform
from registry.agent.image_gc import GcPolicy, GcResult
from registry.agent.policy import PullPolicy, default_pull_policy
from registry.agent.pull_records import PullRecords, VerificationPolicy
from registry.agent.progress import Progress, TerminalProgress
from registry.agent.puller import Puller, PullResult
from registry.agent.runtime import ImageFs, ImageRuntime, RuntimeImage
from registry.oci.reference import ImageReference
from registry.agent.secrets import SecretPool, parse_secret
from registry.agent.store import ContentStore, ImageRecord
from registry.agent.workloads import ContainerSpec, PodSpec, pods_from_document

__all__ = [
    "AgentError", "BlobVerificationError", "ContainerSpec", "ContentStore", "Credential", "DaemonConfig",
    "Document", "Event", "EventLog", "GcPolicy", "GcResult", "ImageFs", "ImageRecord", "ImageReference", "ImageRuntime", "InputError",
    "Keyring", "LayoutRuntime", "NodeAgent", "RuntimeImage",
    "Platform", "PodResult", "PodSpec", "Progress", "PullError", "PullPolicy", "PullRecords", "PullResult", "Puller",
    "SecretPool", "TerminalProgress", "UnauthorizedError", "VerificationPolicy", "default_pull_policy", "load_daemon_config",
    "load_documents", "parse_documents", "parse_secret", "pods_from_document",
]
