"""Tag immutability: tags that no push may move and no delete or retag may take away.

Every path that moves or removes a tag asks here first — a manifest push (``/v2`` or
an artifact copy), a tag or manifest delete (``/v2`` or the API), a repository delete
— so a rule holds whichever door the request came through. Pushing the same digest
under an immutable tag again is not a move and is allowed.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from registry.core.errors import RegistryError, bad_request
from registry.core.names import project_of
from registry.core.selectors import (REPOSITORY_DECORATIONS, TAG_DECORATIONS, Selector, all_select, load_selectors,
                                     parse_selectors)
from storage.meta.immutable_rules import ImmutableRuleRecord
from storage.meta.records import ProjectRecord
from storage.meta.store import MetaStore

MAX_RULES = 15


def immutable_error(repo: str, tag: str) -> RegistryError:
    return RegistryError("PRECONDITION", f"Failed to process request due to '{repo}:{tag}' configured as immutable.",
                         status=412)


@dataclass(frozen=True, slots=True)
class Rule:
    id: int
    priority: int
    disabled: bool
    tags: list[Selector]
    repositories: list[Selector]

    @classmethod
    def of(cls, record: ImmutableRuleRecord) -> "Rule":
        return cls(record.id, record.priority, record.disabled, load_selectors(json.loads(record.tag_selectors)),
                   load_selectors(json.loads(record.scope_selectors)["repository"]))

    def protects(self, repository: str, tag: str) -> bool:
        """``repository`` is the name inside the project (Harbor matches without the project)."""
        return not self.disabled and all_select(self.repositories, repository) and all_select(self.tags, tag)


@dataclass(frozen=True, slots=True)
class RuleFields:
    priority: int
    disabled: bool
    tags: list[Selector]
    repositories: list[Selector]


def parse_rule(body: dict) -> RuleFields:
    """A rule from Harbor's ImmutableRule body; BAD_REQUEST naming what is wrong."""
    action = body.get("action", "immutable")
    template = body.get("template", "immutable_template")
    if action != "immutable" or template != "immutable_template":
        raise bad_request("an immutability rule has action immutable and template immutable_template")
    priority = body.get("priority", 0)
    disabled = body.get("disabled", False)
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 2**31 - 1:
        raise bad_request("priority must be a non-negative integer")
    if not isinstance(disabled, bool):
        raise bad_request("disabled must be true or false")
    scope = body.get("scope_selectors")
    if not isinstance(scope, dict):
        raise bad_request("scope_selectors must be an object with a repository list")
    return RuleFields(priority, disabled,
                      parse_selectors(body.get("tag_selectors"), TAG_DECORATIONS, "tag_selectors"),
                      parse_selectors(scope.get("repository"), REPOSITORY_DECORATIONS, "scope_selectors.repository"))


def _stored(fields: RuleFields) -> tuple[str, str]:
    return (json.dumps([s.as_json() for s in fields.tags]),
            json.dumps({"repository": [s.as_json() for s in fields.repositories]}))


class ImmutableTags:
    def __init__(self, meta: MetaStore) -> None:
        self.meta = meta

    # --- the rules -----------------------------------------------------------------
    async def rules(self, project: ProjectRecord) -> list[Rule]:
        return [Rule.of(r) for r in await self.meta.immutable_rules.of_project(project.id)]

    async def rule(self, project: ProjectRecord, rule_id: int) -> Rule:
        record = await self.meta.immutable_rules.get(project.id, rule_id)
        if record is None:
            raise RegistryError("NOT_FOUND", f"immutability rule {rule_id} not found in {project.name}", status=404)
        return Rule.of(record)

    async def create(self, project: ProjectRecord, fields: RuleFields) -> int:
        if len(await self.meta.immutable_rules.of_project(project.id)) >= MAX_RULES:
            raise bad_request(f"a project has at most {MAX_RULES} immutability rules")
        return await self.meta.immutable_rules.create(project.id, fields.priority, fields.disabled, *_stored(fields))

    async def update(self, project: ProjectRecord, rule_id: int, fields: RuleFields) -> None:
        await self.rule(project, rule_id)
        await self.meta.immutable_rules.update(rule_id, fields.priority, fields.disabled, *_stored(fields))

    async def set_disabled(self, project: ProjectRecord, rule_id: int, disabled: bool) -> None:
        rule = await self.rule(project, rule_id)
        await self.update(project, rule_id, RuleFields(rule.priority, disabled, rule.tags, rule.repositories))

    async def delete(self, project: ProjectRecord, rule_id: int) -> None:
        await self.rule(project, rule_id)
        await self.meta.immutable_rules.delete(rule_id)

    # --- the guard -----------------------------------------------------------------
    async def protected(self, repo: str, tags: Iterable[str]) -> list[str]:
        """Which of ``tags`` in ``repo`` an enabled rule makes immutable."""
        wanted = list(tags)
        if not wanted:
            return []
        project = await self.meta.projects.by_name(project_of(repo))
        if project is None:
            return []
        rules = [r for r in await self.rules(project) if not r.disabled]
        inside = repo.split("/", 1)[1] if "/" in repo else repo
        return [t for t in wanted if any(r.protects(inside, t) for r in rules)]

    async def check_moves(self, repo: str, tags: Iterable[str], digest: str) -> None:
        """Refuse pointing an existing immutable tag at another digest."""
        for tag in await self.protected(repo, tags):
            current = await self.meta.tags.resolve(repo, tag)
            if current is not None and current != digest:
                raise immutable_error(repo, tag)

    async def check_removal(self, repo: str, tags: Iterable[str]) -> None:
        """Refuse taking away an existing immutable tag."""
        protected = await self.protected(repo, tags)
        if protected:
            raise immutable_error(repo, protected[0])
