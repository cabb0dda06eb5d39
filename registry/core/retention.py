"""Tag retention (Harbor's model): per repository, keep what a rule retains, delete the rest.

Rules are OR'd and evaluated per repository their scope selects. Matching is per tag —
an artifact is a candidate of a rule when one of its tags matches the rule's tag
selectors (or it is untagged and the rule includes untagged artifacts) — and counting
and deletion are per artifact: ``latestPushedK`` keeps K artifacts, not K tags, and an
artifact kept by one tag keeps all of them. An artifact with an immutable tag is kept
whole. Index children and referrers (signatures, SBOMs) are not candidates: they go
with their index or subject. A dry run runs the same decision and deletes nothing.

Each execution records the bytes garbage collection frees because of it (the rule is
``references.freed_blobs``, asked with what the deleted manifests named), and can be
stopped from any process: the executor reads its status, as a heartbeat, before every
repository and deletion.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass, field

from registry.core.artifacts import Artifact, ArtifactService
from registry.core.cron import last_due, valid_cron
from registry.core.errors import RegistryError, bad_request
from registry.core.listing import Listing
from registry.core.immutability import ImmutableTags
from registry.core.records import MAX_ID
from registry.core.references import freed_blobs
from registry.core.selectors import REPOSITORY_DECORATIONS, TAG_DECORATIONS, Selector, all_select, parse_selectors
from storage.meta.records import ProjectRecord
from storage.meta.retention import RetentionExecutionRecord, RetentionPolicyRecord, RetentionTaskRecord
from storage.meta.store import MetaStore

log = logging.getLogger("berth.retention")
MAX_RULES = 15
DAY = 86400.0
MAX_PARAM = 10_000_000
# An execution beats before each repository and each deletion; one silent this long was left
# Running by a process that died (listing a huge repository takes seconds, not minutes).
SILENT_LIMIT = 600.0
TEMPLATES: dict[str, str] = {
    "latestPushedK": "retain the most recently pushed # artifacts",
    "latestPulledN": "retain the most recently pulled # artifacts",
    "nDaysSinceLastPush": "retain the artifacts pushed within the last # days",
    "nDaysSinceLastPull": "retain the artifacts pulled within the last # days",
    "always": "retain always",
}



@dataclass(frozen=True, slots=True)
class RetentionRule:
    template: str
    param: int
    tags: list[Selector]
    untagged: bool
    repositories: list[Selector]
    disabled: bool = False

    def as_json(self) -> dict:
        extras = json.dumps({"untagged": self.untagged})
        return {"disabled": self.disabled, "action": "retain", "template": self.template,
                "params": {} if self.template == "always" else {self.template: self.param},
                "tag_selectors": [{**s.as_json(), "extras": extras} for s in self.tags],
                "scope_selectors": {"repository": [s.as_json() for s in self.repositories]}}

    def matches(self, artifact: Artifact) -> bool:
        if not artifact.tags:
            return self.untagged
        return any(all_select(self.tags, t.name) for t in artifact.tags)

    def retains(self, matched: list[Artifact], now: float) -> set[str]:
        """Which of the artifacts this rule matched it keeps."""
        if self.template == "always":
            return {a.digest for a in matched}
        if self.template == "latestPushedK":
            return {a.digest for a in sorted(matched, key=lambda a: -a.push_time)[:self.param]}
        if self.template == "latestPulledN":
            pulled = [a for a in matched if a.pull_time]
            return {a.digest for a in sorted(pulled, key=lambda a: -(a.pull_time or 0))[:self.param]}
        if self.template == "nDaysSinceLastPush":
            return {a.digest for a in matched if a.push_time >= now - self.param * DAY}
        return {a.digest for a in matched if a.pull_time and a.pull_time >= now - self.param * DAY}


@dataclass(frozen=True, slots=True)
class Policy:
    project_id: int
    rules: list[RetentionRule]
    cron: str

    def as_json(self, policy_id: int | None = None) -> dict:
        return {"id": policy_id, "algorithm": "or", "rules": [r.as_json() for r in self.rules],
                "trigger": {"kind": "Schedule", "settings": {"cron": self.cron}},
                "scope": {"level": "project", "ref": self.project_id}}


def _rule(raw: object, where: str) -> RetentionRule:
    if not isinstance(raw, dict):
        raise bad_request(f"{where} must be an object")
    template = raw.get("template")
    if not isinstance(template, str) or template not in TEMPLATES:
        raise bad_request(f"{where}.template must be one of {', '.join(TEMPLATES)}")
    if raw.get("action", "retain") != "retain":
        raise bad_request(f"{where}.action must be retain")
    param = 0
    if template != "always":
        params = raw.get("params")
        value = params.get(template) if isinstance(params, dict) else None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PARAM:
            raise bad_request(f"{where}.params.{template} must be an integer from 0 to {MAX_PARAM}")
        param = value
    disabled = raw.get("disabled", False)
    if not isinstance(disabled, bool):
        raise bad_request(f"{where}.disabled must be true or false")
    selectors = raw.get("tag_selectors")
    tags = parse_selectors(selectors, TAG_DECORATIONS, f"{where}.tag_selectors")
    untagged = False
    for entry in selectors:
        extras = entry.get("extras")
        if extras:
            try:
                decoded = json.loads(extras) if isinstance(extras, str) else None
            except ValueError:
                decoded = None
            if not isinstance(decoded, dict) or not isinstance(decoded.get("untagged", False), bool):
                raise bad_request(f'{where}.tag_selectors extras must be a JSON string like {{"untagged": true}}')
            untagged = untagged or decoded.get("untagged", False)
    scope = raw.get("scope_selectors")
    if not isinstance(scope, dict):
        raise bad_request(f"{where}.scope_selectors must be an object with a repository list")
    repositories = parse_selectors(scope.get("repository"), REPOSITORY_DECORATIONS, f"{where}.scope_selectors")
    return RetentionRule(template, param, tags, untagged, repositories, disabled)


def parse_policy(body: dict) -> Policy:
    """A policy from Harbor's RetentionPolicy body; BAD_REQUEST naming what is wrong."""
    if body.get("algorithm", "or") != "or":
        raise bad_request("algorithm must be or")
    scope = body.get("scope")
    if not isinstance(scope, dict) or scope.get("level") != "project":
        raise bad_request("scope must be {level: project, ref: <project id>}")
    ref = scope.get("ref")
    if isinstance(ref, bool) or not isinstance(ref, int) or not 1 <= ref <= MAX_ID:
        raise bad_request("scope.ref must be a project id")
    rules = body.get("rules")
    if not isinstance(rules, list) or len(rules) > MAX_RULES:
        raise bad_request(f"rules must be a list of at most {MAX_RULES} rules")
    trigger = body.get("trigger") or {"kind": "Schedule", "settings": {"cron": ""}}
    cron = ""
    if not isinstance(trigger, dict) or trigger.get("kind", "Schedule") != "Schedule":
        raise bad_request("trigger must be {kind: Schedule, settings: {cron}}")
    settings = trigger.get("settings") or {}
    if not isinstance(settings, dict):
        raise bad_request("trigger.settings must be an object")
    if settings.get("cron"):
        cron = settings["cron"]
        if not isinstance(cron, str) or not valid_cron(cron):
            raise bad_request("trigger.settings.cron must be a cron expression of six fields, seconds first")
    return Policy(ref, [_rule(r, f"rules[{i}]") for i, r in enumerate(rules)], cron)


def load_policy(record: RetentionPolicyRecord) -> Policy:
    return parse_policy(json.loads(record.policy))


def _schedule_name(policy_id: int) -> str:
    return f"retention-{policy_id}"


class Stopped(Exception):
    """Someone asked the execution to stop (from any process): it ends between two deletions."""


@dataclass(slots=True)
class Freeing:
    """What an execution deleted (or would): manifests as (repo, digest), and the size of every
    digest they are or name, from which the bytes GC then frees are told."""

    deleted: set[tuple[str, str]] = field(default_factory=set)
    sizes: dict[str, int] = field(default_factory=dict)

    def add(self, other: "Freeing") -> None:
        self.deleted |= other.deleted
        self.sizes.update(other.sizes)


def decide(rules: list[RetentionRule], artifacts: list[Artifact], now: float) -> set[str]:
    """The digests the enabled rules retain among ``artifacts`` (immutability is checked apart)."""
    kept: set[str] = set()
    for rule in rules:
        if not rule.disabled:
            kept |= rule.retains([a for a in artifacts if rule.matches(a)], now)
    return kept


class RetentionService:
    def __init__(self, meta: MetaStore, artifacts: ArtifactService, immutability: ImmutableTags) -> None:
        self.meta = meta
        self.artifacts = artifacts
        self.immutability = immutability
        self._running: set[asyncio.Task] = set()

    # --- policies --------------------------------------------------------------------------
    async def create(self, project: ProjectRecord, policy: Policy) -> int:
        policy_id = await self.meta.retention.create_policy(project.id, json.dumps(policy.as_json()))
        if policy_id is None:
            raise RegistryError("CONFLICT", f"project {project.name} has a retention policy already", status=409)
        await self._schedule(policy_id, policy.cron)
        return policy_id

    async def _schedule(self, policy_id: int, cron: str) -> None:
        await self.meta.jobs.set_schedule(_schedule_name(policy_id), "Custom" if cron else "None", cron, "{}")

    async def keep_recently_pulled(self, project_id: int) -> None:
        """A new proxy-cache project's policy: keep what was pulled in the last 7 days, daily.

        Pull times of cached images are real pull times (pulls through the proxy count as
        any other), so this never deletes what nodes still pull.
        """
        project = await self.meta.projects.by_id(project_id)
        if project is None or await self.of_project(project) is not None:
            return
        everything = [Selector("doublestar", "matches", "**")]
        rule = RetentionRule("nDaysSinceLastPull", 7, everything, True, [Selector("doublestar", "repoMatches", "**")])
        await self.create(project, Policy(project_id, [rule], "0 0 0 * * *"))

    async def get(self, policy_id: int) -> tuple[RetentionPolicyRecord, Policy]:
        record = await self.meta.retention.policy(policy_id)
        if record is None:
            raise RegistryError("NOT_FOUND", f"retention policy {policy_id} not found", status=404)
        return record, load_policy(record)

    async def of_project(self, project: ProjectRecord) -> int | None:
        record = await self.meta.retention.policy_of_project(project.id)
        return record.id if record else None

    async def update(self, policy_id: int, policy: Policy) -> None:
        record, _ = await self.get(policy_id)
        if policy.project_id != record.project_id:
            raise bad_request("a policy's scope cannot move to another project")
        await self.meta.retention.update_policy(policy_id, json.dumps(policy.as_json()))
        await self._schedule(policy_id, policy.cron)

    async def delete(self, policy_id: int) -> None:
        await self.get(policy_id)
        await self.meta.retention.delete_policy(policy_id)
        await self._schedule(policy_id, "")

    # --- executions -------------------------------------------------------------------------
    async def launch(self, policy_id: int, dry_run: bool, trigger: str = "MANUAL") -> int:
        record, policy = await self.get(policy_id)
        execution_id = await self.meta.retention.start_execution(policy_id, trigger, dry_run)
        task = asyncio.create_task(self._execute(execution_id, record.project_id, policy, dry_run),
                                   name=f"retention-{execution_id}")
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return execution_id

    async def _execute(self, execution_id: int, project_id: int, policy: Policy, dry_run: bool) -> None:
        status, freeing = "Failed", Freeing()
        try:
            project = await self.meta.projects.by_id(project_id)
            if project is not None:
                repos, _ = await self.meta.catalog.repositories(project.name, Listing(limit=1_000_000))
                for summary in repos:
                    await self._repository(execution_id, summary.name, policy.rules, dry_run, freeing)
            status = "Succeed"
        except Stopped:
            status = "Stopped"
        except asyncio.CancelledError:
            status = "Stopped"
            raise
        except Exception:
            log.exception("retention execution %d failed", execution_id)
        finally:
            await asyncio.shield(self._finish(execution_id, status, freeing))

    async def _finish(self, execution_id: int, status: str, freeing: Freeing) -> None:
        """Record the outcome and the bytes GC frees because of it: what nothing kept still uses."""
        uses = await self.meta.references.uses_of(freeing.sizes)
        freed = freed_blobs(freeing.sizes, freeing.deleted, uses)
        await self.meta.retention.finish_execution(execution_id, status, sum(freeing.sizes[d] for d in freed))

    async def _beat_or_stop(self, execution_id: int) -> None:
        """Beat (so that the execution is not taken for one whose process died) and stop if asked."""
        if await self.meta.retention.heartbeat(execution_id) == "Stopping":
            raise Stopped

    async def _repository(self, execution_id: int, repo: str, rules: list[RetentionRule], dry_run: bool,
                          freeing: Freeing) -> None:
        inside = repo.split("/", 1)[1] if "/" in repo else repo
        applying = [r for r in rules if not r.disabled and all_select(r.repositories, inside)]
        if not applying:
            return
        await self._beat_or_stop(execution_id)
        started = time.time()
        found, _ = await self.artifacts.list(repo, Listing(limit=1_000_000), details=False)
        candidates = [a for a in found if a.subject is None]
        kept = decide(applying, candidates, started)
        kept |= {a.digest for a in candidates if any(t.immutable for t in a.tags)}
        tagged = set(await self.meta.tags.by_digest(repo))
        lines, status = [], "Succeed"
        try:
            for artifact in candidates:
                tags = ",".join(t.name for t in artifact.tags) or "<untagged>"
                if artifact.digest in kept:
                    lines.append(f"retained {repo}@{artifact.digest} ({tags})")
                    continue
                await self._beat_or_stop(execution_id)
                going = await self._footprint(repo, artifact.digest, tagged)
                if dry_run:
                    freeing.add(going)
                    lines.append(f"would delete {repo}@{artifact.digest} ({tags}), {artifact.size} bytes")
                    continue
                try:
                    await self._delete(repo, artifact)
                    freeing.add(going)
                    lines.append(f"deleted {repo}@{artifact.digest} ({tags}), {artifact.size} bytes")
                except RegistryError as error:  # pushed over, immutable meanwhile, or already gone: kept
                    lines.append(f"kept {repo}@{artifact.digest} ({tags}): {error.message}")
                    status = "Failed" if error.status >= 500 else status
        except Stopped:
            lines.append("stopped")
            status = "Stopped"
            raise
        finally:
            await asyncio.shield(self.meta.retention.add_task(
                execution_id, repo, status, len(candidates), sum(1 for a in candidates if a.digest in kept),
                "\n".join(lines) + "\n", started))

    async def _footprint(self, repo: str, digest: str, tagged: set[str]) -> Freeing:
        """The manifests deleting an artifact removes (those of its platform manifests nothing
        else holds, its referrers) and the digests they name, read before it goes."""
        going = Freeing()
        pending = [digest]
        while pending:
            current = pending.pop()
            record = await self.meta.manifests.get(repo, current)
            if record is None or (repo, current) in going.deleted:
                continue
            going.deleted.add((repo, current))
            going.sizes[current] = record.size
            for ref in await self.meta.manifests.references(repo, current):
                going.sizes[ref.digest] = ref.size
                if ref.kind == "manifest" and ref.digest not in tagged and all(
                        (repo, parent) in going.deleted for parent in await self.meta.manifests.parents(repo, ref.digest)):
                    pending.append(ref.digest)
            pending += [r.digest for r in await self.meta.manifests.referrers(repo, current)]
        return going

    async def _delete(self, repo: str, artifact: Artifact) -> None:
        """Delete an artifact with the referrers that hang on it, unless a push tagged it meanwhile."""
        await self.artifacts.delete(repo, artifact.digest, [t.name for t in artifact.tags])
        for referrer in await self.meta.manifests.referrers(repo, artifact.digest):
            with contextlib.suppress(RegistryError):
                await self.artifacts.delete(repo, referrer.digest)

    async def executions(self, policy_id: int, offset: int, limit: int) -> tuple[list[RetentionExecutionRecord], int]:
        await self.get(policy_id)
        await self.meta.retention.abandon_silent(time.time() - SILENT_LIMIT)
        return await self.meta.retention.executions(policy_id, offset, limit)

    async def stop_execution(self, policy_id: int, execution_id: int) -> None:
        """Ask a running execution to stop; whichever process runs it ends it at its next step."""
        execution = await self.meta.retention.execution(policy_id, execution_id)
        if execution is None:
            raise RegistryError("NOT_FOUND", f"execution {execution_id} not found", status=404)
        if not await self.meta.retention.request_stop(execution_id):
            raise bad_request(f"execution {execution_id} is not running ({execution.status})")

    async def tasks(self, policy_id: int, execution_id: int) -> list[RetentionTaskRecord]:
        if await self.meta.retention.execution(policy_id, execution_id) is None:
            raise RegistryError("NOT_FOUND", f"execution {execution_id} not found", status=404)
        return await self.meta.retention.tasks(execution_id)

    async def tick(self, now: float | None = None) -> None:
        """Start every policy whose schedule is due; one process per due time wins the firing."""
        now = time.time() if now is None else now
        for record in await self.meta.retention.all_policies():
            cron = load_policy(record).cron
            if cron and await self.meta.jobs.claim_firing(_schedule_name(record.id), last_due(cron, now)):
                await self.launch(record.id, dry_run=False, trigger="SCHEDULE")

    async def stop(self) -> None:
        for task in list(self._running):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
