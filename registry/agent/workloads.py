"""Pods to run on this node, from Pod manifests and workloads with a pod template.

A Deployment (any apiVersion, ``extensions/v1beta1`` included), ReplicaSet,
ReplicationController, StatefulSet, DaemonSet, Job or CronJob becomes the pods its
controller would place on a single node, named the way the controller names them.
Containers get their pull policy defaulted here, as the API server would.
Objects without pods (Services, ConfigMaps, Secrets …) are not workloads.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from registry.agent.documents import Document
from registry.agent.policy import PullPolicy, default_pull_policy
from registry.agent.secrets import DEFAULT_NAMESPACE

# Where each kind keeps its pod template, and whether ``spec.replicas`` applies.
_TEMPLATE_PATHS: dict[str, tuple[tuple[str, ...], bool]] = {
    "Pod": ((), False),
    "Deployment": (("spec", "template"), True),
    "ReplicaSet": (("spec", "template"), True),
    "ReplicationController": (("spec", "template"), True),
    "StatefulSet": (("spec", "template"), True),
    "DaemonSet": (("spec", "template"), False),
    "Job": (("spec", "template"), False),
    "CronJob": (("spec", "jobTemplate", "spec", "template"), False),
}
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # the apiserver's generateName alphabet
_POLICIES = {policy.value: policy for policy in PullPolicy}


@dataclass(frozen=True, slots=True)
class ContainerSpec:
    name: str
    image: str
    pull_policy: PullPolicy
    init: bool = False


@dataclass(frozen=True, slots=True)
class PodSpec:
    """What the agent needs of a pod: identity, containers in start order, pull Secrets."""

    name: str
    namespace: str
    uid: str
    init_containers: tuple[ContainerSpec, ...]
    containers: tuple[ContainerSpec, ...]
    pull_secrets: tuple[str, ...]
    owner: str = ""  # "ReplicaSet/my-nginx-7c5ddbdf54" for controller-made pods

    @property
    def all_containers(self) -> tuple[ContainerSpec, ...]:
        return self.init_containers + self.containers


def is_workload(doc: Document) -> bool:
    return doc.body.get("kind") in _TEMPLATE_PATHS


def _suffix(seed: str, length: int = 5) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(_SUFFIX_ALPHABET[b % len(_SUFFIX_ALPHABET)] for b in digest[:length])


def _get(doc: Document, path: tuple[str, ...]) -> tuple[Any, str]:
    value: Any = doc.body
    walked: list[str] = []
    for key in path:
        walked.append(key)
        if not isinstance(value, dict) or not isinstance(value.get(key), dict):
            raise doc.error(".".join(walked), "required mapping")
        value = value[key]
    return value, ".".join(path)


def _containers(doc: Document, spec: dict[str, Any], where: str, key: str) -> tuple[ContainerSpec, ...]:
    items = spec.get(key)
    if items is None and key == "initContainers":
        return ()
    field = f"{where}.{key}"
    if not isinstance(items, list) or (key == "containers" and not items):
        raise doc.error(field, "required list of containers")
    containers = []
    for index, item in enumerate(items):
        at = f"{field}[{index}]"
        if not isinstance(item, dict):
            raise doc.error(at, "must be a mapping")
        name, image, policy = item.get("name"), item.get("image"), item.get("imagePullPolicy")
        if not isinstance(name, str) or not name:
            raise doc.error(f"{at}.name", "required string")
        if not isinstance(image, str) or not image.strip():
            raise doc.error(f"{at}.image", "required string")
        if policy is None or policy == "":
            pull_policy = default_pull_policy(image)
        elif policy in _POLICIES:
            pull_policy = _POLICIES[policy]
        else:
            raise doc.error(f"{at}.imagePullPolicy",
                            f'Unsupported value: {policy!r}: supported values: "Always", "IfNotPresent", "Never"')
        containers.append(ContainerSpec(name, image, pull_policy, init=key == "initContainers"))
    return tuple(containers)


def _pull_secrets(doc: Document, spec: dict[str, Any], where: str) -> tuple[str, ...]:
    items = spec.get("imagePullSecrets") or []
    field = f"{where}.imagePullSecrets"
    if not isinstance(items, list):
        raise doc.error(field, "must be a list of {name: …}")
    names = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            raise doc.error(f"{field}[{index}].name", "required string")
        names.append(item["name"])
    return tuple(names)


def _replicas(doc: Document) -> int:
    kind, spec = doc.body["kind"], doc.body.get("spec") or {}
    if _TEMPLATE_PATHS[kind][1]:
        value, field, default = spec.get("replicas"), "spec.replicas", 1
    elif kind == "Job":
        value, field, default = spec.get("parallelism"), "spec.parallelism", 1
    else:
        return 1
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise doc.error(field, "must be a non-negative integer")
    return value


def _owner(kind: str, name: str, template_hash: str) -> str:
    """The pod's controller; a Deployment's pods belong to its ReplicaSet, as in a cluster."""
    if kind == "Pod":
        return ""
    if kind == "Deployment":
        return f"ReplicaSet/{name}-{template_hash}"
    if kind == "CronJob":
        return f"Job/{name}"
    return f"{kind}/{name}"


def pods_from_document(doc: Document, default_namespace: str = DEFAULT_NAMESPACE) -> list[PodSpec]:
    """The pods this object puts on one node (none for objects that are not workloads)."""
    if not is_workload(doc):
        return []
    kind = doc.body["kind"]
    metadata = doc.body.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str) or not metadata["name"]:
        raise doc.error("metadata.name", "required string")
    name = metadata["name"]
    namespace = metadata.get("namespace") or default_namespace
    if not isinstance(namespace, str):
        raise doc.error("metadata.namespace", "must be a string")
    path, _ = _TEMPLATE_PATHS[kind]
    template, where = _get(doc, path) if path else (doc.body, "")
    spec_field = f"{where}.spec" if where else "spec"
    spec = template.get("spec")
    if not isinstance(spec, dict):
        raise doc.error(spec_field, "required mapping")
    init_containers = _containers(doc, spec, spec_field, "initContainers")
    containers = _containers(doc, spec, spec_field, "containers")
    secrets = _pull_secrets(doc, spec, spec_field)
    template_hash = _suffix(json.dumps(template, sort_keys=True, default=str), 10)
    pods = []
    for index in range(_replicas(doc)):
        if kind == "Pod":
            pod_name = name
        elif kind == "StatefulSet":
            pod_name = f"{name}-{index}"
        elif kind == "Deployment":
            pod_name = f"{name}-{template_hash}-{_suffix(f'{namespace}/{name}/{template_hash}/{index}')}"
        else:
            pod_name = f"{name}-{_suffix(f'{namespace}/{name}/{template_hash}/{index}')}"
        pods.append(PodSpec(
            name=pod_name, namespace=namespace, uid=str(uuid.uuid4()),
            init_containers=init_containers, containers=containers, pull_secrets=secrets,
            owner=_owner(kind, name, template_hash),
        ))
    return pods
