"""The /api/v2.0 route table: every endpoint once, with what its documentation needs.

``registry.api.openapi`` renders this table as the OpenAPI document served at
``/api/v2.0/openapi.json``; a test checks that the routes the application really
registers and the document list the same operations.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from registry.api import (artifacts, gc, guards, immutable_rules, logs, members, openapi, projects, quotas, registries,
                          repositories, retentions, robots, system, users, webhooks)

PREFIX = "/api/v2.0"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PROJECT = "/projects/{project}"
REPO = "/projects/{project}/repositories/{repository}"
ARTIFACT = REPO + "/artifacts/{reference}"
PAGED = ("page", "page_size")


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    handler: Handler | None  # None: registered by its own module
    summary: str
    tag: str
    ok: int = 200
    errors: tuple[int, ...] = (401, 403, 404)
    query: tuple[str, ...] = ()
    body: str | None = None
    returns: str | None = None
    anonymous: bool = False


ROUTES: list[Route] = [
    Route("GET", "/ping", None, "Liveness check (text Pong)", "system", errors=(), returns="text", anonymous=True),
    Route("HEAD", "/ping", None, "Liveness check without a body", "system", errors=(), anonymous=True),
    Route("GET", "/health", system.health, "Health of each component: core, portal, jobservice, registry, database", "system", errors=(),
          returns="Health", anonymous=True),
    Route("GET", "/systeminfo", system.systeminfo, "General information (fewer fields for anonymous callers)",
          "system", errors=(401,), returns="GeneralInfo", anonymous=True),
    Route("GET", "/statistics", system.statistics, "Counts of visible projects and repositories", "system",
          errors=(401,), returns="Statistic", anonymous=True),
    Route("GET", "/search", system.search, "Search visible projects and repositories by name", "system",
          errors=(401,), query=("q",), returns="Search", anonymous=True),
    Route("GET", "/openapi.json", None, "This document", "system", errors=(), returns="object", anonymous=True),
    Route("GET", "/audit-logs", logs.audit_logs, "Audit log (system administrators)", "auditlog",
          errors=(400, 401, 403), query=(*PAGED, "q"), returns="[AuditLog]"),
    Route("GET", "/projects", projects.list_projects, "List visible projects", "project", errors=(400, 401),
          query=(*PAGED, "q", "name", "public"), returns="[Project]", anonymous=True),
    Route("HEAD", "/projects", projects.head_project, "Whether a project name exists", "project",
          errors=(400, 401, 404), query=("project_name",)),
    Route("POST", "/projects", projects.create_project, "Create a project", "project", ok=201,
          errors=(400, 401, 403, 409, 413), body="ProjectReq"),
    Route("GET", PROJECT, projects.get_project, "Get a project by name or id", "project",
          returns="Project", anonymous=True),
    Route("PUT", PROJECT, projects.update_project, "Update a project's visibility or storage limit", "project",
          errors=(400, 401, 403, 404), body="ProjectUpdateReq"),
    Route("DELETE", PROJECT, projects.delete_project, "Delete an empty project", "project",
          errors=(401, 403, 404, 412)),
    Route("GET", PROJECT + "/summary", projects.project_summary, "Repository and member counts, quota", "project",
          returns="ProjectSummary", anonymous=True),
    Route("GET", PROJECT + "/logs", logs.project_logs, "Audit log of a project", "auditlog",
          errors=(400, 401, 403, 404), query=(*PAGED, "q"), returns="[AuditLog]"),
    Route("GET", "/repositories", repositories.list_all_repositories,
          "List every repository the caller may see, across projects", "repository", errors=(400, 401),
          query=(*PAGED, "q"), returns="[Repository]", anonymous=True),
    Route("GET", PROJECT + "/repositories", repositories.list_repositories, "List a project's repositories",
          "repository", errors=(400, 401, 403, 404), query=(*PAGED, "q"), returns="[Repository]", anonymous=True),
    Route("GET", REPO, repositories.get_repository, "Get a repository", "repository", errors=(400, 401, 403, 404),
          returns="Repository", anonymous=True),
    Route("DELETE", REPO, repositories.delete_repository, "Delete a repository and everything in it",
          "repository", errors=(400, 401, 403, 404)),
    Route("GET", REPO + "/artifacts", artifacts.list_artifacts, "List a repository's artifacts", "artifact",
          errors=(400, 401, 403, 404), query=(*PAGED, "q", "with_tag"), returns="[Artifact]", anonymous=True),
    Route("POST", REPO + "/artifacts", artifacts.copy_artifact, "Copy an artifact from another repository",
          "artifact", ok=201, errors=(400, 401, 403, 404), query=("from",)),
    Route("GET", ARTIFACT, artifacts.get_artifact, "Get an artifact by tag or digest", "artifact",
          errors=(400, 401, 403, 404), returns="Artifact", anonymous=True),
    Route("DELETE", ARTIFACT, artifacts.delete_artifact, "Delete an artifact (and its tags)", "artifact",
          errors=(400, 401, 403, 404, 412)),
    Route("GET", ARTIFACT + "/tags", artifacts.list_tags, "List an artifact's tags", "artifact",
          errors=(400, 401, 403, 404), query=(*PAGED, "q"), returns="[Tag]", anonymous=True),
    Route("POST", ARTIFACT + "/tags", artifacts.add_tag, "Add a tag to an artifact", "artifact", ok=201,
          errors=(400, 401, 403, 404, 409), body="TagReq"),
    Route("DELETE", ARTIFACT + "/tags/{tag}", artifacts.delete_tag, "Remove a tag", "artifact",
          errors=(400, 401, 403, 404)),
    Route("GET", PROJECT + "/members", members.list_members, "List a project's members", "member",
          errors=(400, 401, 403, 404), query=(*PAGED, "entityname"), returns="[ProjectMemberEntity]"),
    Route("POST", PROJECT + "/members", members.add_member, "Add a user to a project", "member", ok=201,
          errors=(400, 401, 403, 404, 409), body="ProjectMember"),
    Route("GET", PROJECT + "/members/{member_id}", members.get_member, "Get a member", "member",
          errors=(400, 401, 403, 404), returns="ProjectMemberEntity"),
    Route("PUT", PROJECT + "/members/{member_id}", members.update_member, "Change a member's role", "member",
          errors=(400, 401, 403, 404), body="RoleRequest"),
    Route("DELETE", PROJECT + "/members/{member_id}", members.remove_member, "Remove a member", "member",
          errors=(400, 401, 403, 404)),
    Route("GET", PROJECT + "/webhook/policies", webhooks.list_policies, "List webhook policies", "webhook",
          errors=(400, 401, 403, 404), query=(*PAGED, "q"), returns="[WebhookPolicy]"),
    Route("POST", PROJECT + "/webhook/policies", webhooks.create_policy, "Create a webhook policy", "webhook",
          ok=201, errors=(400, 401, 403, 404, 409), body="WebhookPolicy"),
    Route("POST", PROJECT + "/webhook/policies/test", webhooks.test_policy,
          "Send a policy's targets a test call now", "webhook", errors=(400, 401, 403, 404), body="WebhookPolicy"),
    Route("GET", PROJECT + "/webhook/policies/{policy_id}/executions", webhooks.list_executions,
          "A policy's latest deliveries, newest first", "webhook", errors=(400, 401, 403, 404), query=PAGED,
          returns="[WebhookExecution]"),
    Route("GET", PROJECT + "/webhook/policies/{policy_id}", webhooks.get_policy, "Get a webhook policy",
          "webhook", errors=(400, 401, 403, 404), returns="WebhookPolicy"),
    Route("PUT", PROJECT + "/webhook/policies/{policy_id}", webhooks.update_policy, "Replace a webhook policy",
          "webhook", errors=(400, 401, 403, 404, 409), body="WebhookPolicy"),
    Route("DELETE", PROJECT + "/webhook/policies/{policy_id}", webhooks.delete_policy, "Delete a webhook policy",
          "webhook", errors=(400, 401, 403, 404)),
    Route("GET", PROJECT + "/immutabletagrules", immutable_rules.list_rules, "List tag immutability rules",
          "immutable", errors=(400, 401, 403, 404), query=PAGED, returns="[ImmutableRule]"),
    Route("POST", PROJECT + "/immutabletagrules", immutable_rules.create_rule, "Add a tag immutability rule",
          "immutable", ok=201, errors=(400, 401, 403, 404), body="ImmutableRule"),
    Route("GET", PROJECT + "/immutabletagrules/{immutable_rule_id}", immutable_rules.get_rule,
          "Get a tag immutability rule", "immutable", errors=(400, 401, 403, 404), returns="ImmutableRule"),
    Route("PUT", PROJECT + "/immutabletagrules/{immutable_rule_id}", immutable_rules.update_rule,
          "Replace, enable or disable a tag immutability rule", "immutable", errors=(400, 401, 403, 404),
          body="ImmutableRule"),
    Route("DELETE", PROJECT + "/immutabletagrules/{immutable_rule_id}", immutable_rules.delete_rule,
          "Delete a tag immutability rule", "immutable", errors=(400, 401, 403, 404)),
    Route("GET", "/retentions/metadatas", retentions.metadatas, "Retention rule templates and selectors",
          "retention", errors=(401,), returns="object"),
    Route("POST", "/retentions", retentions.create_policy, "Create a project's tag retention policy", "retention",
          ok=201, errors=(400, 401, 403, 409), body="RetentionPolicy"),
    Route("GET", "/retentions/{retention_id}", retentions.get_policy, "Get a retention policy", "retention",
          errors=(400, 401, 403, 404), returns="RetentionPolicy"),
    Route("PUT", "/retentions/{retention_id}", retentions.update_policy, "Replace a retention policy", "retention",
          errors=(400, 401, 403, 404), body="RetentionPolicy"),
    Route("DELETE", "/retentions/{retention_id}", retentions.delete_policy, "Delete a retention policy", "retention",
          errors=(400, 401, 403, 404)),
    Route("POST", "/retentions/{retention_id}/executions", retentions.run, "Run a retention policy (or dry-run it)",
          "retention", ok=201, errors=(400, 401, 403, 404), body="RetentionRun"),
    Route("GET", "/retentions/{retention_id}/executions", retentions.executions, "A policy's runs, newest first",
          "retention", errors=(400, 401, 403, 404), query=PAGED, returns="[RetentionExecution]"),
    Route("GET", "/retentions/{retention_id}/executions/{execution_id}/tasks", retentions.tasks,
          "What a run did, per repository", "retention", errors=(400, 401, 403, 404), query=PAGED,
          returns="[RetentionTask]"),
    Route("GET", "/retentions/{retention_id}/executions/{execution_id}/tasks/{task_id}", retentions.task_log,
          "A repository's log: each artifact retained or deleted, and why", "retention",
          errors=(400, 401, 403, 404), returns="text"),
    Route("GET", "/system/gc/schedule", gc.get_schedule, "The garbage collection schedule", "gc",
          errors=(401, 403), returns="GCSchedule"),
    Route("POST", "/system/gc/schedule", gc.create_schedule, "Run garbage collection now (type Manual) or schedule it",
          "gc", ok=201, errors=(400, 401, 403, 409), body="GCSchedule"),
    Route("PUT", "/system/gc/schedule", gc.update_schedule, "Change the garbage collection schedule", "gc",
          errors=(400, 401, 403, 409), body="GCSchedule"),
    Route("GET", "/system/gc", gc.list_runs, "Garbage collection history", "gc", errors=(400, 401, 403),
          query=PAGED, returns="[GCHistory]"),
    Route("GET", "/system/gc/{gc_id}", gc.get_run, "One garbage collection run", "gc",
          errors=(400, 401, 403, 404), returns="GCHistory"),
    Route("GET", "/system/gc/{gc_id}/log", gc.run_log, "What a garbage collection run deleted", "gc",
          errors=(400, 401, 403, 404), returns="text"),
    Route("GET", "/users", users.list_users, "List users (system administrators)", "user",
          errors=(400, 401, 403), query=(*PAGED, "q", "username"), returns="[UserResp]"),
    Route("POST", "/users", users.create_user, "Create a user (system administrators)", "user", ok=201,
          errors=(400, 401, 403, 409), body="UserCreationReq"),
    Route("GET", "/users/current", users.current_user, "The logged-in user", "user", errors=(401, 404),
          returns="UserResp"),
    Route("GET", "/users/search", users.search_users, "Find users by name (for adding members)", "user",
          errors=(400, 401), query=(*PAGED, "username"), returns="[UserSearchRespItem]"),
    Route("GET", "/users/{user_id}", users.get_user, "Get a user (yourself, or anyone as an admin)", "user",
          errors=(400, 401, 403, 404), returns="UserResp"),
    Route("PUT", "/users/{user_id}", users.update_user, "Update email, real name, comment", "user",
          errors=(400, 401, 403, 404), body="UserProfile"),
    Route("DELETE", "/users/{user_id}", users.delete_user, "Delete a user (system administrators)", "user",
          errors=(400, 401, 403, 404, 412)),
    Route("PUT", "/users/{user_id}/password", users.set_password, "Change a password", "user",
          errors=(400, 401, 403, 404), body="PasswordReq"),
    Route("PUT", "/users/{user_id}/sysadmin", users.set_sysadmin, "Grant or revoke system administration", "user",
          errors=(400, 401, 403, 404), body="SysAdminFlag"),
    Route("GET", "/robots", robots.list_robots, "List robot accounts", "robot", errors=(400, 401, 403, 404),
          query=(*PAGED, "q"), returns="[Robot]"),
    Route("POST", "/robots", robots.create_robot, "Create a robot account (the secret is shown once)", "robot",
          ok=201, errors=(400, 401, 403, 404, 409), body="RobotCreate", returns="RobotCreated"),
    Route("GET", "/robots/{robot_id}", robots.get_robot, "Get a robot account", "robot",
          errors=(400, 401, 403, 404), returns="Robot"),
    Route("PUT", "/robots/{robot_id}", robots.update_robot, "Update a robot account", "robot",
          errors=(400, 401, 403, 404), body="Robot"),
    Route("PATCH", "/robots/{robot_id}", robots.refresh_secret, "Refresh a robot's secret", "robot",
          errors=(400, 401, 403, 404), body="RobotSec", returns="RobotSec"),
    Route("DELETE", "/robots/{robot_id}", robots.delete_robot, "Delete a robot account", "robot",
          errors=(400, 401, 403, 404)),
    Route("GET", "/registries", registries.list_registries, "List registry endpoints (system administrators)",
          "registry", errors=(400, 401, 403), query=PAGED, returns="[Registry]"),
    Route("POST", "/registries", registries.create_registry, "Create a registry endpoint", "registry", ok=201,
          errors=(400, 401, 403, 409), body="RegistryReq"),
    Route("POST", "/registries/ping", registries.ping_registry, "Test the connection to a registry", "registry",
          errors=(400, 401, 403, 404), body="RegistryPing"),
    Route("GET", "/registries/{registry_id}", registries.get_registry, "Get a registry endpoint (secret masked)",
          "registry", errors=(400, 401, 403, 404), returns="Registry"),
    Route("PUT", "/registries/{registry_id}", registries.update_registry, "Update a registry endpoint", "registry",
          errors=(400, 401, 403, 404, 409), body="RegistryUpdate"),
    Route("DELETE", "/registries/{registry_id}", registries.delete_registry,
          "Delete a registry endpoint no proxy-cache project uses", "registry", errors=(400, 401, 403, 404, 412)),
    Route("GET", "/registries/{registry_id}/info", registries.registry_info, "What a registry endpoint supports",
          "registry", errors=(400, 401, 403, 404), returns="RegistryInfo"),
    Route("GET", "/quotas", quotas.list_quotas, "Storage quotas and usage of visible projects", "quota",
          errors=(400, 401), query=(*PAGED, "reference_id"), returns="[Quota]", anonymous=True),
    Route("GET", "/quotas/{quota_id}", quotas.get_quota, "A project's quota (its id is the project id)", "quota",
          errors=(400, 401, 403, 404), returns="Quota", anonymous=True),
    Route("PUT", "/quotas/{quota_id}", quotas.update_quota, "Set a project's storage limit", "quota",
          errors=(400, 401, 403, 404), body="QuotaUpdateReq"),
]


def add_routes(app: web.Application) -> None:
    for route in ROUTES:
        if route.handler is not None:
            app.router.add_route(route.method, PREFIX + openapi.router_path(route.path), route.handler)
    app.router.add_get(PREFIX + "/openapi.json", openapi.handler(ROUTES, PREFIX), allow_head=False)
    app.on_response_prepare.append(guards.add_csrf_header)
