"""The OpenAPI 3 document of the /api/v2.0 subset Berth implements, built from the route
table so that it cannot drift from it, with Harbor's model names and fields.

The document is meant to be true: its types, required fields, limits and patterns are
Berth's own rules (taken from where they are enforced), its responses are the statuses
each operation can answer, and a test replays requests generated from it against a
running server.
"""
from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from registry.api.body import MAX_ID
from registry.api.paging import DEFAULT_SIZE, MAX_PAGE, MAX_SIZE
from registry.core.accounts import USERNAME_RE
from registry.core.names import TAG_RE
from registry.core.projects import PROJECT_NAME_RE
from registry.core.quotas import MAX_STORAGE_LIMIT, UNLIMITED
from registry.core.rbac import ROLE_NAMES
from registry.core.repositories import MAX_DESCRIPTION
from registry.core.robots import MAX_DURATION_DAYS, ROBOT_NAME_RE
from registry.core.upstreams import (MAX_UPSTREAM_CONN_RE, MAX_URL, NAME_RE as ENDPOINT_NAME_RE,
                                     TYPES as ENDPOINT_TYPES)
from registry.core.webhooks import EVENT_TYPES, MAX_TARGETS

S, I, B = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
OBJ = {"type": "object", "additionalProperties": True}
ID = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}
STORAGE_LIMIT = {"type": "integer", "format": "int64", "minimum": UNLIMITED, "maximum": MAX_STORAGE_LIMIT,
                 "description": "Bytes; -1 is unlimited"}
DURATION = {"type": "integer", "minimum": -1, "maximum": MAX_DURATION_DAYS,
            "description": "Days; -1 (or 0) never expires"}
# A project in a path is its name or its id: both are made of these characters.
PROJECT_KEY = "[a-z0-9._-]+"


def _text(pattern: re.Pattern[str], max_length: int) -> dict:
    return {"type": "string", "pattern": pattern.pattern, "maxLength": max_length}


def _obj(*required: str, **props: Any) -> dict:
    """An object schema; ``required`` names the fields a request must carry."""
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = list(required)
    return schema


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _list(item: dict, **limits: int) -> dict:
    return {"type": "array", "items": item, **limits}


TAG = _obj(name=S, push_time=TIME, pull_time=TIME, immutable=B)
PUBLIC = {"type": "string", "enum": ["true", "false"]}
ROLE_ID = {"type": "integer", "enum": sorted(ROLE_NAMES)}
EVENT_TYPE = {"type": "string", "enum": sorted(EVENT_TYPES.values())}
PROJECT_NAME = _text(PROJECT_NAME_RE, 255)
PERMISSIONS = _list(_ref("RobotPermission"))
DESCRIPTION = {"type": "string", "maxLength": 1024}
SECRET = {"type": "string", "minLength": 8, "maxLength": 128,
          "description": "8-128 characters with an upper-case letter, a lower-case letter and a digit"}
ENDPOINT_TYPE = {"type": "string", "enum": sorted(ENDPOINT_TYPES)}
ENDPOINT_URL = {"type": "string", "maxLength": MAX_URL, "description": "http(s)://host[:port]; the host must be "
                "among proxy.upstream_hosts when that is set"}
CREDENTIAL = _obj(type={"type": "string", "enum": ["basic"]}, access_key={"type": "string", "maxLength": 255},
                  access_secret={"type": "string", "maxLength": 4096})
ENDPOINT_FIELDS = dict(name=_text(ENDPOINT_NAME_RE, 255), type=ENDPOINT_TYPE, url=ENDPOINT_URL,
                       description=DESCRIPTION, insecure=B, credential=CREDENTIAL)
SCHEMAS: dict[str, dict] = {
    "Errors": _obj(errors=_list(_obj(code=S, message=S))),
    "Health": _obj(status=S, components=_list(_obj(name=S, status=S, error=S))),
    "GeneralInfo": _obj(auth_mode=S, primary_auth_mode=B, self_registration=B, harbor_version=S, banner_message=S,
                        current_time=TIME, registry_url=S, external_url=S, project_creation_restriction=S,
                        has_ca_root=B, read_only=B, notification_enable=B, registry_storage_provider_name=S,
                        oidc_provider_name=S),
    "Statistic": _obj(private_project_count=I, public_project_count=I, total_project_count=I,
                      private_repo_count=I, public_repo_count=I, total_repo_count=I, total_storage_consumption=I),
    "ProjectMetadata": _obj(public=PUBLIC, max_upstream_conn={
        "type": "string", "pattern": MAX_UPSTREAM_CONN_RE.pattern,
        "description": "Proxy-cache projects: upstream requests at once, -1 for no limit (429 beyond it)"}),
    "Project": _obj(project_id=I, owner_id=I, owner_name=S, name=S, registry_id={"type": "integer", "nullable": True},
                    creation_time=TIME, update_time=TIME, deleted=B, togglable=B, current_user_role_id=I,
                    current_user_role_ids=_list(I), repo_count=I, metadata=_ref("ProjectMetadata"),
                    storage_limit=STORAGE_LIMIT),
    "ProjectReq": _obj("project_name", project_name=PROJECT_NAME, public=B, metadata=_ref("ProjectMetadata"),
                       storage_limit=STORAGE_LIMIT,
                       registry_id={**ID, "nullable": True, "description": "Registry endpoint: a proxy-cache "
                                    "project (system administrators)"}),
    "ProjectUpdateReq": _obj(public=B, metadata=_ref("ProjectMetadata"), storage_limit=STORAGE_LIMIT),
    "ProjectSummary": _obj(repo_count=I, project_admin_count=I, maintainer_count=I, developer_count=I,
                           guest_count=I, limited_guest_count=I,
                           quota=_obj(hard=_obj(storage=STORAGE_LIMIT), used=_obj(storage=I))),
    "Repository": _obj(id=I, project_id=I, name=S, description=S, artifact_count=I, pull_count=I,
                       creation_time=TIME, update_time=TIME),
    "RepositoryReq": _obj("description", description={"type": "string", "maxLength": MAX_DESCRIPTION}),
    "Permission": _obj(resource=S, action=S),
    "Label": _obj(id=I, name={"type": "string", "maxLength": 128}, description=DESCRIPTION,
                  color={"type": "string", "maxLength": 32}, scope={"type": "string", "enum": ["g", "p"]},
                  project_id=I, creation_time=TIME, update_time=TIME),
    "LabelRef": _obj("id", id=ID),
    "SystemInfo": _obj(storage=_list(_obj(total=I, free=I))),
    "Tag": TAG,
    "TagReq": _obj("name", name=_text(TAG_RE, 128)),
    "Artifact": _obj(id=I, repository_id=I, type=S, media_type=S, manifest_media_type=S, artifact_type=S, project_id=I,
                     repository_name=S, digest=S, size=I, push_time=TIME, pull_time=TIME, pull_count=I,
                     extra_attrs=OBJ, annotations=OBJ, tags=_list(TAG), labels=_list(_ref("Label")), accessories=_list(OBJ),
                     references=_list(_obj(child_digest=S, platform=OBJ, annotations=OBJ, urls=_list(S)))),
    "Search": _obj(project=_list(_ref("Project")),
                   repository=_list(_obj(project_id=I, project_name=S, project_public=B, repository_name=S,
                                         pull_count=I, artifact_count=I))),
    "AuditLog": _obj(id=I, username=S, resource=S, resource_type=S, operation=S, operation_result=B,
                     op_time=TIME),
    "ProjectMemberEntity": _obj(id=I, project_id=I, entity_id=I, entity_name=S, entity_type=S, role_id=ROLE_ID,
                                role_name=S),
    "ProjectMember": _obj("role_id", role_id=ROLE_ID,
                          member_user=_obj(user_id=ID, username={"type": "string", "maxLength": 255}),
                          member_group=_ref("UserGroup")),
    "UserGroup": _obj(id=ID, group_name={"type": "string", "maxLength": 255},
                      group_type={"type": "integer", "enum": [1, 3], "description": "1 LDAP, 3 OIDC"},
                      ldap_group_dn={"type": "string", "maxLength": 1024}),
    "UserGroupSearchItem": _obj(id=I, group_name=S, group_type=I),
    "OIDCCliSecretReq": _obj(secret={**SECRET, "minLength": 0, "description": "Empty: a new random secret"}),
    "Configurations": {"type": "object", "description": "ldap_* and oidc_* settings under Harbor's names; GET "
                       "wraps each as {value, editable} and adds auth_mode; secrets are never returned"},
    "LdapConf": {"type": "object", "description": "ldap_* settings to try instead of the saved ones"},
    "LdapUser": _obj(username=S, realname=S, email=S),
    "LdapImportUsers": _obj("ldap_uid_list", ldap_uid_list=_list({"type": "string", "minLength": 1,
                                                                   "maxLength": 255}, minItems=1, maxItems=100)),
    "RoleRequest": _obj("role_id", role_id=ROLE_ID),
    "UserResp": _obj(user_id=I, username=S, email=S, realname=S, comment=S, sysadmin_flag=B,
                     admin_role_in_auth=B, creation_time=TIME, update_time=TIME,
                     oidc_user_meta=_obj(id=I, user_id=I, subiss=S, secret=S)),
    "UserCreationReq": _obj("username", "password", username=_text(USERNAME_RE, 255), password=SECRET,
                            email={"type": "string", "maxLength": 255}, realname={"type": "string", "maxLength": 255},
                            comment=DESCRIPTION),
    "UserProfile": _obj(email={"type": "string", "maxLength": 255}, realname={"type": "string", "maxLength": 255},
                        comment={"type": "string", "maxLength": 255}),
    "UserSearchRespItem": _obj(user_id=I, username=S),
    "PasswordReq": _obj("new_password", old_password={**SECRET, "minLength": 0,
                                                      "description": "Required to change your own password"},
                        new_password=SECRET),
    "SysAdminFlag": _obj("sysadmin_flag", sysadmin_flag=B),
    "RobotPermission": _obj("kind", "namespace", "access", kind={"type": "string", "enum": ["project", "system"]},
                            namespace=S,
                            access=_list(_obj("action", resource=S, action=S, effect=S))),
    "Robot": _obj(id=I, name=S, description=DESCRIPTION, level={"type": "string", "enum": ["system", "project"]},
                  duration=DURATION, disable=B, editable=B, expires_at=I, permissions=PERMISSIONS, creator_type=S,
                  creator_ref=S, creation_time=TIME, update_time=TIME),
    "RobotCreate": _obj("name", "level", name=_text(ROBOT_NAME_RE, 255), description=DESCRIPTION, secret=SECRET,
                        level={"type": "string", "enum": ["system", "project"]}, disable=B, duration=DURATION,
                        permissions=PERMISSIONS),
    "RobotCreated": _obj(id=I, name=S, secret=S, creation_time=TIME, expires_at=I),
    "RobotSec": _obj(secret=SECRET),
    "Quota": _obj(id=I, ref=_obj(id=I, name=S, owner_name=S), hard=_obj(storage=STORAGE_LIMIT),
                  used=_obj(storage=I), creation_time=TIME, update_time=TIME),
    "QuotaUpdateReq": _obj("hard", hard=_obj("storage", storage=STORAGE_LIMIT)),
    "GCSchedule": _obj("schedule",
                       schedule=_obj("type", type={"type": "string", "enum": ["None", "Hourly", "Daily", "Weekly",
                                                                             "Custom", "Manual"]},
                                     cron={"type": "string", "maxLength": 128},
                                     next_scheduled_time={**TIME, "nullable": True}),
                       parameters=_obj(delete_untagged=B, dry_run=B)),
    "GCHistory": _obj(id=I, job_name=S, job_kind=S, job_parameters=S, job_status=S, deleted=B,
                      creation_time=TIME, update_time=TIME),
    "RetentionPolicy": _obj("rules", "scope", id=I, algorithm={"type": "string", "enum": ["or"]},
                            rules=_list(_ref("RetentionRule"), maxItems=15),
                            trigger=_obj(kind={"type": "string", "enum": ["Schedule"]},
                                         settings=_obj(cron={"type": "string", "maxLength": 128})),
                            scope=_obj("level", "ref", level={"type": "string", "enum": ["project"]}, ref=ID)),
    "RetentionRule": _obj("template", "tag_selectors", "scope_selectors", disabled=B,
                          action={"type": "string", "enum": ["retain"]},
                          template={"type": "string", "enum": ["latestPushedK", "latestPulledN", "nDaysSinceLastPush",
                                                               "nDaysSinceLastPull", "always"]},
                          params=OBJ, tag_selectors=_list(_ref("Selector"), minItems=1),
                          scope_selectors=_obj("repository", repository=_list(_ref("Selector"), minItems=1))),
    "RetentionRun": _obj(dry_run=B),
    "RetentionStop": _obj("action", action={"type": "string", "enum": ["stop"]}),
    "RetentionExecution": _obj(id=I, policy_id=I, status=S, trigger=S, dry_run=B, start_time=TIME,
                               end_time={**TIME, "nullable": True}, freed_bytes=I),
    "RetentionTask": _obj(id=I, execution_id=I, repository=S, job_id=S, status=S, status_code=I, start_time=TIME,
                          end_time=TIME, total=I, retained=I),
    "ImmutableRule": _obj("tag_selectors", "scope_selectors", id=I, project_id=I,
                          priority={"type": "integer", "minimum": 0, "maximum": 2**31 - 1}, disabled=B,
                          action={"type": "string", "enum": ["immutable"]},
                          template={"type": "string", "enum": ["immutable_template"]}, params=OBJ,
                          tag_selectors=_list(_ref("Selector"), minItems=1),
                          scope_selectors=_obj("repository", repository=_list(_ref("Selector"), minItems=1))),
    "Selector": _obj("pattern", kind={"type": "string", "enum": ["doublestar"]},
                     decoration={"type": "string", "enum": ["matches", "excludes", "repoMatches", "repoExcludes"]},
                     pattern={"type": "string", "minLength": 1, "maxLength": 255}, extras=S),
    "Registry": _obj(id=I, name=S, type=S, url=S, description=S, insecure=B,
                     credential=_obj(type=S, access_key=S, access_secret=S), creation_time=TIME, update_time=TIME),
    "RegistryReq": _obj("name", "type", **ENDPOINT_FIELDS),
    "RegistryUpdate": _obj(**ENDPOINT_FIELDS),
    "RegistryPing": _obj(id=ID, **ENDPOINT_FIELDS),
    "RegistryInfo": _obj(type=S, description=S, supported_resource_filters=_list(OBJ), supported_triggers=_list(S),
                         supported_copy_by_chunk=B),
    "WebhookPolicy": _obj("name", "targets", "event_types", id=I, project_id=I,
                          name={"type": "string", "maxLength": 255}, description=DESCRIPTION, enabled=B, creator=S,
                          creation_time=TIME, update_time=TIME, event_types=_list(EVENT_TYPE, minItems=1),
                          targets=_list(_obj("address", type={"type": "string", "enum": ["http"]},
                                             address={"type": "string", "format": "uri", "maxLength": 2048},
                                             auth_header=S, skip_cert_verify=B),
                                        minItems=1, maxItems=MAX_TARGETS)),
    "WebhookExecution": _obj(id=I, vendor_type=S, vendor_id=I, status={"type": "string", "enum": ["Success", "Error"]},
                             status_message=S, trigger=S, extra_attrs=_obj(event_type=S, address=S),
                             start_time=TIME, end_time=TIME),
}

QUERY: dict[str, tuple[str, dict]] = {
    "page": ("Page number, from 1", {"type": "integer", "default": 1, "minimum": 1, "maximum": MAX_PAGE}),
    "page_size": ("Items per page",
                  {"type": "integer", "default": DEFAULT_SIZE, "minimum": 1, "maximum": MAX_SIZE}),
    "q": ("Query, comma-separated: key=value (exact), key=~value (fuzzy), key=[min~max] (range), "
          "key={a b} (any of), key=(a b) (all of); times as 2006-01-02 15:04:05 (UTC)", S),
    "sort": ("Order: comma-separated keys, each descending with a leading -, e.g. -creation_time,name", S),
    "scope": ("Permissions: /project/<project id> or /system; labels: g (global) or p (a project's, with "
              "project_id)", S),
    "with_label": ("Include each artifact's labels", B),
    "project_id": ("Project id", ID),
    "relative": ("Name resources relative to the scope (repository instead of /project/1/repository)", B),
    "name": ("Project name (exact, or ~fuzzy)", S),
    "public": ("Only public (true) or private (false) projects", PUBLIC),
    "project_name": ("Project name to look for", {"type": "string", "minLength": 1}),
    "with_tag": ("Accepted for compatibility; tags are always included", B),
    "from": ("Source: <project>/<repository>@<digest> or <project>/<repository>:<tag>", S),
    "entityname": ("Part of a member's name", S),
    "username": ("Part of a username", S),
    "group_name": ("Part of a group's name", S),
    "groupname": ("Part of a group's name", S),
    "groupdn": ("A group's DN", S),
    "reference_id": ("Project id", S),
}
REQUIRED_QUERY = frozenset({"project_name", "from"})
PATH: dict[str, tuple[str, dict]] = {
    "project": ("Project name, or id unless X-Is-Resource-Name is true (repository paths: name only)",
                {"type": "string", "pattern": f"^{PROJECT_KEY}$", "maxLength": 255}),
    "repository": ("Repository name without the project; a/b is sent as a%252Fb", S),
    "reference": ("Tag or digest", S),
    "tag": ("Tag name", S),
    "member_id": ("The member's user id, or 10^12 + the group id for a group", ID),
    "group_id": ("User group id", ID),
    "policy_id": ("Webhook policy id", ID),
    "immutable_rule_id": ("Tag immutability rule id", ID),
    "gc_id": ("Garbage collection run id", ID),
    "retention_id": ("Retention policy id", ID),
    "execution_id": ("Retention execution id", ID),
    "task_id": ("Retention task id", ID),
    "user_id": ("User id", ID),
    "robot_id": ("Robot account id", ID),
    "quota_id": ("Quota id (the project's id)", ID),
    "registry_id": ("Registry endpoint id", ID),
    "label_id": ("Label id", ID),
}
STATUS_TEXT = {200: "Success", 201: "Created", 400: "Bad request", 401: "Unauthorized", 403: "Forbidden",
               404: "Not found", 409: "Conflict", 412: "Precondition failed", 413: "Body too large",
               503: "Unavailable"}


def path_parameters(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)


def router_path(path: str) -> str:
    """``path`` for aiohttp's router: a project key outside its documented characters matches no route."""
    return path.replace("{project}", "{project:" + PROJECT_KEY + "}")


def _schema(name: str) -> dict:
    if name == "text":
        return {"text/plain": {"schema": S}}
    if name == "object":
        return {"application/json": {"schema": OBJ}}
    inner = _list(_ref(name[1:-1])) if name.startswith("[") else _ref(name)
    return {"application/json": {"schema": inner}}


def _errors(route) -> list[int]:
    """The refusals ``route`` can answer: its own, plus what bodies and parameters bring.

    Any body can be malformed (400) or too large (413); parameters with rules can be broken (400).
    """
    codes = set(route.errors)
    checked = route.query or any(PATH[n][1] is ID for n in path_parameters(route.path))
    if route.body or checked:
        codes.add(400)
    if route.body:
        codes.add(413)
    return sorted(codes)


def _operation(route, op_id: str) -> dict:
    params = [{"name": n, "in": "path", "required": True, "description": PATH[n][0], "schema": PATH[n][1]}
              for n in path_parameters(route.path)]
    params += [{"name": n, "in": "query", "required": n in REQUIRED_QUERY, "description": QUERY[n][0],
                "schema": QUERY[n][1]} for n in route.query]
    ok: dict[str, Any] = {"description": STATUS_TEXT[route.ok]}
    if route.returns:
        ok["content"] = _schema(route.returns)
    if route.query and "page" in route.query:
        ok["headers"] = {"X-Total-Count": {"schema": I}, "Link": {"schema": S}}
    operation: dict[str, Any] = {
        "operationId": op_id, "summary": route.summary, "tags": [route.tag], "parameters": params,
        "responses": {str(route.ok): ok, **{str(code): {"$ref": f"#/components/responses/E{code}"}
                                            for code in _errors(route)}},
    }
    if route.body:
        operation["requestBody"] = {"required": True, "content": _schema(route.body)}
    if route.anonymous:
        operation["security"] = [{}, {"basic": []}, {"session": []}]
    return operation


def build(routes, prefix: str) -> dict:
    paths: dict[str, dict] = {}
    for route in routes:
        op_id = route.method.lower() + re.sub(r"[^A-Za-z0-9]+", "_", route.path).rstrip("_")
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, op_id)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Berth management API (Harbor v2.0 subset)", "version": "2.0"},
        "servers": [{"url": prefix}],
        "security": [{"basic": []}, {"session": []}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "basic": {"type": "http", "scheme": "basic"},
                "session": {"type": "apiKey", "in": "cookie", "name": "sid",
                            "description": "From POST /c/login; writes also need the X-Harbor-CSRF-Token header"},
            },
            "responses": {f"E{code}": {"description": STATUS_TEXT[code], "content": _schema("Errors")}
                          for code in sorted({code for route in routes for code in _errors(route)})},
        },
    }


def handler(routes, prefix: str):
    """A handler serving the document, rendered once."""
    text = json.dumps(build(routes, prefix))

    async def serve(request: web.Request) -> web.Response:
        return web.Response(text=text, content_type="application/json")

    return serve
