"""Webhook policies (Harbor's shape) and the notifications they produce.

A policy belongs to a project and names HTTP targets and the artifact events to send
them. Events are produced by the request path and delivered later by
``registry.core.webhook_delivery``, so nothing here ever runs while a client waits.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

from registry.core.errors import RegistryError, bad_request
from storage.meta.database import Conflict
from storage.meta.records import ProjectRecord
from storage.meta.store import MetaStore
from storage.meta.webhooks import WebhookExecutionRecord, WebhookPolicyRecord

EVENT_TYPES = {"push": "PUSH_ARTIFACT", "pull": "PULL_ARTIFACT", "delete": "DELETE_ARTIFACT"}
MAX_TARGETS = 10


@dataclass(frozen=True, slots=True)
class Target:
    address: str
    auth_header: str = ""
    skip_cert_verify: bool = False
    type: str = "http"


@dataclass(slots=True)
class ArtifactEvent:
    """Something that happened to an artifact, as the request path saw it."""

    type: str  # PUSH_ARTIFACT, PULL_ARTIFACT, DELETE_ARTIFACT
    repository: str
    digest: str
    tag: str
    operator: str
    registry_host: str
    occur_at: float = field(default_factory=time.time)


@dataclass(frozen=True, slots=True)
class Delivery:
    target: Target
    payload: dict
    policy_id: int | None = None  # None: a test call, recorded nowhere



def _split_url(address: object) -> SplitResult | None:
    """The parts of a target address, or None when it is not a URL with a valid port."""
    if not isinstance(address, str):
        return None
    try:
        parts = urlsplit(address)
        parts.port  # noqa: B018  (raises on a port out of range)
    except ValueError:
        return None
    return parts


def parse_targets(raw: object) -> list[Target]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_TARGETS:
        raise bad_request(f"targets must be a list of 1 to {MAX_TARGETS} targets")
    targets = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise bad_request("each target must be an object")
        kind = entry.get("type", "http")
        address = entry.get("address")
        if kind != "http":
            raise bad_request(f"target type {str(kind)[:32]!r} is not supported; use http")
        parts = _split_url(address)
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or len(address) > 2048:
            raise bad_request("each target needs an http:// or https:// address")
        auth = entry.get("auth_header") or ""
        skip = entry.get("skip_cert_verify", False)
        if not isinstance(auth, str) or "\n" in auth or "\r" in auth or not isinstance(skip, bool):
            raise bad_request("auth_header must be a one-line string and skip_cert_verify a boolean")
        targets.append(Target(address, auth, skip))
    return targets


def parse_event_types(raw: object) -> list[str]:
    known = set(EVENT_TYPES.values())
    if not isinstance(raw, list) or not raw or not all(isinstance(e, str) and e in known for e in raw):
        raise bad_request(f"event_types must be a non-empty list of {', '.join(sorted(known))}")
    return list(dict.fromkeys(raw))


def targets_of(policy: WebhookPolicyRecord) -> list[Target]:
    return [Target(**t) for t in json.loads(policy.targets)]


class WebhookPolicies:
    def __init__(self, meta: MetaStore) -> None:
        self.meta = meta

    async def list(self, project: ProjectRecord) -> list[WebhookPolicyRecord]:
        return await self.meta.webhooks.of_project(project.id)

    async def get(self, project: ProjectRecord, policy_id: int) -> WebhookPolicyRecord:
        policy = await self.meta.webhooks.get(project.id, policy_id)
        if policy is None:
            raise RegistryError("NOT_FOUND", f"webhook policy {policy_id} not found in {project.name}", status=404)
        return policy

    async def create(self, project: ProjectRecord, name: str, description: str, targets: list[Target],
                     event_types: list[str], enabled: bool, creator: str) -> int:
        self._check_name(name)
        try:
            return await self.meta.webhooks.create(project.id, name, description, _dump(targets),
                                                   json.dumps(event_types), enabled, creator)
        except Conflict:
            raise RegistryError("CONFLICT", f"webhook policy {name} already exists", status=409) from None

    async def update(self, policy: WebhookPolicyRecord, name: str, description: str, targets: list[Target],
                     event_types: list[str], enabled: bool) -> None:
        self._check_name(name)
        try:
            await self.meta.webhooks.update(policy.id, name, description, _dump(targets), json.dumps(event_types),
                                            enabled)
        except Conflict:
            raise RegistryError("CONFLICT", f"webhook policy {name} already exists", status=409) from None

    async def delete(self, policy: WebhookPolicyRecord) -> None:
        await self.meta.webhooks.delete(policy.id)

    async def executions(self, policy: WebhookPolicyRecord, offset: int,
                         limit: int) -> tuple[list[WebhookExecutionRecord], int]:
        """The policy's latest deliveries, newest first, and how many are kept."""
        return await self.meta.webhooks.executions(policy.id, offset, limit)

    async def record(self, delivery: Delivery, delivered: bool, message: str, started: float) -> None:
        """Keep how a delivery ended, for the policy's list of executions."""
        if delivery.policy_id is not None:
            await self.meta.webhooks.add_execution(delivery.policy_id, delivery.payload["type"], delivery.target.address,
                                                   "Success" if delivered else "Error", message, started)

    @staticmethod
    def _check_name(name: str) -> None:
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 255:
            raise bad_request("name must be 1-255 characters")

    async def deliveries(self, event: ArtifactEvent) -> list[Delivery]:
        """The requests ``event`` calls for, built now so every target gets the same payload."""
        namespace, _, name = event.repository.partition("/")
        project = await self.meta.projects.by_name(namespace)
        if project is None:
            return []
        policies = [p for p in await self.meta.webhooks.of_project(project.id)
                    if p.enabled and event.type in json.loads(p.event_types)]
        if not policies:
            return []
        repository = await self.meta.repositories.get(event.repository)
        payload = harbor_payload(event, project, repository.created if repository else event.occur_at, name)
        return [Delivery(target, payload, policy.id) for policy in policies for target in targets_of(policy)]


def harbor_payload(event: ArtifactEvent, project: ProjectRecord, created: float, name: str) -> dict:
    """The body Harbor's HTTP notifier sends for artifact events."""
    location = f"{event.registry_host}/{event.repository}"
    resource_url = f"{location}:{event.tag}" if event.tag else f"{location}@{event.digest}"
    resource: dict = {"digest": event.digest, "tag": event.tag, "resource_url": resource_url}
    return {
        "type": event.type,
        "occur_at": int(event.occur_at),
        "operator": event.operator,
        "event_data": {
            "resources": [resource],
            "repository": {
                "date_created": int(created),
                "name": name,
                "namespace": project.name,
                "repo_full_name": event.repository,
                "repo_type": "public" if project.public else "private",
            },
        },
    }


def ping_payload(operator: str, project: ProjectRecord) -> dict:
    """The body of a test call: Harbor's envelope, with no resources."""
    return {"type": "PING", "occur_at": int(time.time()), "operator": operator,
            "event_data": {"resources": [], "repository": {"namespace": project.name}}}


def _dump(targets: list[Target]) -> str:
    return json.dumps([{"type": t.type, "address": t.address, "auth_header": t.auth_header,
                        "skip_cert_verify": t.skip_cert_verify} for t in targets])
