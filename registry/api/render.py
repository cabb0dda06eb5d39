"""Berth's records in Harbor's JSON shapes (field names exactly as in Harbor's swagger)."""
from __future__ import annotations

import json
import time
from functools import lru_cache
from typing import Any

from registry.core.artifacts import Artifact
from registry.core.catalog import Quota, Statistics
from registry.core.rbac import ROLE_NAMES
from registry.core.robots import CreatedRobot
from registry.core.immutability import Rule
from registry.core.upstreams import EndpointRecord
from registry.core.records import (AuditRecord, LabelRecord, RetentionExecutionRecord, RetentionTaskRecord, MemberRecord,
                                   ProjectRecord, RepositorySummary, RobotRecord, UserRecord, WebhookExecutionRecord,
                                   WebhookPolicyRecord)

# What Harbor shows for "never" (Go's zero time); its UI and clients expect it.
NEVER = "0001-01-01T00:00:00.000Z"


@lru_cache(maxsize=4096)
def _second(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def when(ts: float | None) -> str:
    """Harbor's timestamp form, e.g. 2026-12-04T19:40:00.123Z. A page of artifacts holds
    hundreds of them, mostly from few seconds, so the seconds' text is cached: this is
    three times faster than building a datetime each time."""
    if not ts:
        return NEVER
    seconds = int(ts)
    micros = round((ts - seconds) * 1e6)  # rounded to microseconds first, as datetime does
    if micros >= 1_000_000:
        seconds, micros = seconds + 1, micros - 1_000_000
    return f"{_second(seconds)}.{micros // 1000:03d}Z"


def project(record: ProjectRecord, repo_count: int, role_id: int | None = None,
            owner_name: str = "", registry_id: int | None = None,
            max_upstream_conn: int | None = None, retention_id: int | None = None) -> dict[str, Any]:
    metadata = {"public": "true" if record.public else "false"}
    if registry_id is not None and max_upstream_conn is not None:
        metadata["max_upstream_conn"] = str(max_upstream_conn)
    if retention_id:
        metadata["retention_id"] = str(retention_id)
    return {
        "project_id": record.id,
        "owner_id": record.owner_id or 0,
        "owner_name": owner_name,
        "name": record.name,
        "registry_id": registry_id,
        "creation_time": when(record.created),
        "update_time": when(record.updated),
        "deleted": False,
        "togglable": True,
        "current_user_role_id": role_id or 0,
        "current_user_role_ids": [role_id] if role_id else [],
        "repo_count": repo_count,
        "metadata": metadata,
        "storage_limit": record.storage_limit,
    }


def repository(summary: RepositorySummary, project_id: int) -> dict[str, Any]:
    return {
        "id": summary.id,
        "project_id": project_id,
        "name": summary.name,
        "description": summary.description,
        "artifact_count": summary.artifact_count,
        "pull_count": summary.pull_count,
        "creation_time": when(summary.created),
        "update_time": when(summary.updated),
    }


def artifact(item: Artifact, project_id: int) -> dict[str, Any]:
    return {
        "id": item.id,
        "repository_id": item.repository_id,
        "type": item.type,
        "media_type": item.media_type,
        "manifest_media_type": item.manifest_media_type,
        "artifact_type": item.artifact_type or item.media_type,
        "project_id": project_id,
        "repository_name": item.repository,
        "digest": item.digest,
        "size": item.size,
        "push_time": when(item.push_time),
        "pull_time": when(item.pull_time),
        "pull_count": item.pull_count,
        "extra_attrs": item.extra_attrs,
        "annotations": item.annotations or {},
        "references": [
            {"child_digest": r.child_digest, "platform": r.platform, "annotations": r.annotations, "urls": r.urls}
            for r in item.references
        ],
        "tags": [
            {"name": t.name, "push_time": when(t.push_time), "pull_time": when(t.pull_time), "immutable": t.immutable}
            for t in item.tags
        ],
        "labels": [label(x) for x in item.labels],
        "accessories": [],
    }


def label(record: LabelRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "description": record.description,
        "color": record.color,
        "scope": record.scope,
        "project_id": record.project_id,
        "creation_time": when(record.created),
        "update_time": when(record.updated),
    }


def user(record: UserRecord) -> dict[str, Any]:
    return {
        "user_id": record.id,
        "username": record.username,
        "email": record.email,
        "realname": record.realname,
        "comment": record.comment,
        "sysadmin_flag": record.sysadmin,
        "admin_role_in_auth": record.admin_in_auth,
        "creation_time": when(record.created),
        "update_time": when(record.updated),
    }


def member(record: MemberRecord) -> dict[str, Any]:
    return {
        "id": record.user_id,
        "project_id": record.project_id,
        "entity_id": record.user_id,
        "entity_name": record.username,
        "entity_type": "u",
        "role_id": record.role_id,
        "role_name": ROLE_NAMES.get(record.role_id, ""),
    }


def robot(record: RobotRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "description": record.description,
        "level": record.level,
        "duration": record.duration,
        "disable": record.disabled,
        "editable": True,
        "expires_at": record.expires_at,
        "permissions": json.loads(record.permissions),
        "creator_type": "local",
        "creator_ref": record.creator,
        "creation_time": when(record.created),
        "update_time": when(record.updated),
    }


def robot_created(created: CreatedRobot) -> dict[str, Any]:
    return {"id": created.id, "name": created.name, "secret": created.secret,
            "creation_time": when(created.created), "expires_at": created.expires_at}


def audit_log(record: AuditRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "username": record.username,
        "resource": record.resource,
        "resource_type": record.resource_type,
        "operation": record.operation,
        "operation_result": record.result == "success",
        "op_time": when(record.op_time),
    }


def quota(item: Quota) -> dict[str, Any]:
    return {
        "id": item.project.id,
        "ref": {"id": item.project.id, "name": item.project.name, "owner_name": ""},
        "hard": {"storage": item.hard},
        "used": {"storage": item.used},
        "creation_time": when(item.project.created),
        "update_time": when(item.project.updated),
    }


def statistics(item: Statistics) -> dict[str, Any]:
    body: dict[str, Any] = {
        "private_project_count": item.private_project_count,
        "public_project_count": item.public_project_count,
        "total_project_count": item.private_project_count + item.public_project_count,
        "private_repo_count": item.private_repo_count,
        "public_repo_count": item.public_repo_count,
        "total_repo_count": item.private_repo_count + item.public_repo_count,
    }
    if item.total_storage_consumption is not None:
        body["total_storage_consumption"] = item.total_storage_consumption
    return body


def webhook_policy(record: WebhookPolicyRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "project_id": record.project_id,
        "name": record.name,
        "description": record.description,
        "targets": json.loads(record.targets),
        "event_types": json.loads(record.event_types),
        "enabled": record.enabled,
        "creator": record.creator,
        "creation_time": when(record.created),
        "update_time": when(record.updated),
    }


def webhook_execution(record: WebhookExecutionRecord) -> dict[str, Any]:
    """A delivery in the shape of Harbor's webhook executions."""
    return {
        "id": record.id,
        "vendor_type": "WEBHOOK",
        "vendor_id": record.policy_id,
        "status": record.status,
        "status_message": record.message,
        "trigger": "EVENT",
        "extra_attrs": {"event_type": record.event_type, "address": record.address},
        "start_time": when(record.created),
        "end_time": when(record.updated),
    }


def immutable_rule(rule: Rule, project_id: int) -> dict[str, Any]:
    return {
        "id": rule.id,
        "project_id": project_id,
        "priority": rule.priority,
        "disabled": rule.disabled,
        "action": "immutable",
        "template": "immutable_template",
        "params": {},
        "tag_selectors": [s.as_json() for s in rule.tags],
        "scope_selectors": {"repository": [s.as_json() for s in rule.repositories]},
    }


def retention_execution(record: RetentionExecutionRecord) -> dict[str, Any]:
    return {"id": record.id, "policy_id": record.policy_id, "status": record.status, "trigger": record.trigger,
            "dry_run": record.dry_run, "start_time": when(record.created),
            "end_time": when(record.updated) if record.status not in ("Running", "Stopping") else None,
            "freed_bytes": record.freed_bytes}


def retention_task(record: RetentionTaskRecord) -> dict[str, Any]:
    return {"id": record.id, "execution_id": record.execution_id, "repository": record.repository,
            "job_id": str(record.id), "status": record.status, "status_code": 0 if record.status == "Succeed" else 1,
            "start_time": when(record.created), "end_time": when(record.updated), "total": record.total,
            "retained": record.retained}
def endpoint(record: EndpointRecord) -> dict[str, Any]:
    """A registry endpoint; the secret is shown as Harbor does, masked, never in clear."""
    return {
        "id": record.id,
        "name": record.name,
        "type": record.type,
        "url": record.url,
        "description": record.description,
        "insecure": record.insecure,
        "credential": {"type": "basic", "access_key": record.access_key,
                       "access_secret": "*****" if record.secret else ""},
        "creation_time": when(record.created),
        "update_time": when(record.updated),
    }


def endpoint_info(record: EndpointRecord) -> dict[str, Any]:
    """What an endpoint supports: Berth pulls through it; no replication filters or triggers."""
    return {"type": record.type, "description": record.description, "supported_resource_filters": [],
            "supported_triggers": ["manual"], "supported_copy_by_chunk": False}
