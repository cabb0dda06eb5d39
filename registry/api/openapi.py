"""The OpenAPI 3 document of the /api/v2.0 subset Berth implements, built from the route
table so that it cannot drift from it, with Harbor's model names and fields.
"""
from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

S, I, B = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
OBJ = {"type": "object", "additionalProperties": True}


def _obj(**props: Any) -> dict:
    return {"type": "object", "properties": props}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _list(item: dict) -> dict:
    return {"type": "array", "items": item}


TAG = _obj(name=S, push_time=TIME, pull_time=TIME, immutable=B)
SCHEMAS: dict[str, dict] = {
    "Errors": _obj(errors=_list(_obj(code=S, message=S))),
    "Health": _obj(status=S, components=_list(_obj(name=S, status=S, error=S))),
    "GeneralInfo": _obj(auth_mode=S, primary_auth_mode=B, self_registration=B, harbor_version=S, banner_message=S,
                        current_time=TIME, registry_url=S, external_url=S, project_creation_restriction=S,
                        has_ca_root=B, read_only=B, notification_enable=B, registry_storage_provider_name=S),
    "Statistic": _obj(private_project_count=I, public_project_count=I, total_project_count=I,
                      private_repo_count=I, public_repo_count=I, total_repo_count=I, total_storage_consumption=I),
    "ProjectMetadata": _obj(public={"type": "string", "enum": ["true", "false"]}),
    "Project": _obj(project_id=I, owner_id=I, owner_name=S, name=S, registry_id={"type": "integer", "nullable": True},
                    creation_time=TIME, update_time=TIME, deleted=B, togglable=B, current_user_role_id=I,
                    current_user_role_ids=_list(I), repo_count=I, metadata=_ref("ProjectMetadata"),
                    storage_limit=I),
    "ProjectReq": _obj(project_name={"type": "string", "maxLength": 255}, public=B, metadata=_ref("ProjectMetadata"),
                       storage_limit={"type": "integer", "format": "int64"}),
    "ProjectSummary": _obj(repo_count=I, project_admin_count=I, maintainer_count=I, developer_count=I,
                           guest_count=I, limited_guest_count=I,
                           quota=_obj(hard=_obj(storage=I), used=_obj(storage=I))),
    "Repository": _obj(project_id=I, name=S, description=S, artifact_count=I, pull_count=I, creation_time=TIME,
                       update_time=TIME),
    "Tag": TAG,
    "TagReq": _obj(name=S),
    "Artifact": _obj(type=S, media_type=S, manifest_media_type=S, artifact_type=S, project_id=I,
                     repository_name=S, digest=S, size=I, push_time=TIME, pull_time=TIME, pull_count=I,
                     extra_attrs=OBJ, annotations=OBJ, tags=_list(TAG), labels=_list(OBJ), accessories=_list(OBJ),
                     references=_list(_obj(child_digest=S, platform=OBJ, annotations=OBJ, urls=_list(S)))),
    "Search": _obj(project=_list(_ref("Project")),
                   repository=_list(_obj(project_id=I, project_name=S, project_public=B, repository_name=S,
                                         pull_count=I, artifact_count=I))),
    "AuditLog": _obj(id=I, username=S, resource=S, resource_type=S, operation=S, operation_result=B,
                     op_time=TIME),
    "ProjectMemberEntity": _obj(id=I, project_id=I, entity_id=I, entity_name=S, entity_type=S, role_id=I,
                                role_name=S),
    "ProjectMember": _obj(role_id=I, member_user=_obj(user_id=I, username=S)),
    "RoleRequest": _obj(role_id=I),
    "UserResp": _obj(user_id=I, username=S, email=S, realname=S, comment=S, sysadmin_flag=B,
                     admin_role_in_auth=B, creation_time=TIME, update_time=TIME),
    "UserCreationReq": _obj(username=S, password=S, email=S, realname=S, comment=S),
    "UserProfile": _obj(email=S, realname=S, comment=S),
    "UserSearchRespItem": _obj(user_id=I, username=S),
    "PasswordReq": _obj(old_password=S, new_password=S),
    "SysAdminFlag": _obj(sysadmin_flag=B),
    "RobotPermission": _obj(kind=S, namespace=S, access=_list(_obj(resource=S, action=S, effect=S))),
    "Robot": _obj(id=I, name=S, description=S, level=S, duration=I, disable=B, editable=B, expires_at=I,
                  permissions=_list(_ref("RobotPermission")), creator_type=S, creator_ref=S, creation_time=TIME,
                  update_time=TIME),
    "RobotCreate": _obj(name=S, description=S, secret=S, level={"type": "string", "enum": ["system", "project"]},
                        disable=B, duration=I, permissions=_list(_ref("RobotPermission"))),
    "RobotCreated": _obj(id=I, name=S, secret=S, creation_time=TIME, expires_at=I),
    "RobotSec": _obj(secret=S),
    "Quota": _obj(id=I, ref=_obj(id=I, name=S, owner_name=S), hard=_obj(storage=I), used=_obj(storage=I),
                  creation_time=TIME, update_time=TIME),
    "QuotaUpdateReq": _obj(hard=_obj(storage=I)),
    "WebhookPolicy": _obj(id=I, project_id=I, name=S, description=S, enabled=B, creator=S, creation_time=TIME,
                          update_time=TIME,
                          event_types=_list({"type": "string",
                                             "enum": ["PUSH_ARTIFACT", "PULL_ARTIFACT", "DELETE_ARTIFACT"]}),
                          targets=_list(_obj(type=S, address=S, auth_header=S, skip_cert_verify=B))),
}

QUERY: dict[str, tuple[str, dict]] = {
    "page": ("Page number, from 1", {"type": "integer", "default": 1, "minimum": 1}),
    "page_size": ("Items per page", {"type": "integer", "default": 10, "maximum": 100}),
    "q": ("Query: key=value (exact) or key=~value (fuzzy), comma-separated", S),
    "name": ("Project name (exact, or ~fuzzy)", S),
    "public": ("Only public (true) or private (false) projects", {"type": "string", "enum": ["true", "false"]}),
    "project_name": ("Project name to look for", S),
    "with_tag": ("Accepted for compatibility; tags are always included", B),
    "from": ("Source: <project>/<repository>@<digest> or <project>/<repository>:<tag>", S),
    "entityname": ("Part of a member's name", S),
    "username": ("Part of a username", S),
    "reference_id": ("Project id", S),
}
PATH_HINTS = {
    "project": "Project name, or id unless X-Is-Resource-Name is true (repository paths: name only)",
    "repository": "Repository name without the project; a/b is sent as a%252Fb",
    "reference": "Tag or digest",
}
STATUS_TEXT = {200: "Success", 201: "Created", 400: "Bad request", 401: "Unauthorized", 403: "Forbidden",
               404: "Not found", 409: "Conflict", 412: "Precondition failed", 413: "Body too large"}


def _schema(name: str) -> dict:
    if name == "text":
        return {"text/plain": {"schema": S}}
    if name == "object":
        return {"application/json": {"schema": OBJ}}
    inner = _list(_ref(name[1:-1])) if name.startswith("[") else _ref(name)
    return {"application/json": {"schema": inner}}


def _operation(route, op_id: str) -> dict:
    params = [{"name": n, "in": "path", "required": True, "description": PATH_HINTS.get(n, n), "schema": S}
              for n in re.findall(r"{(\w+)}", route.path)]
    params += [{"name": n, "in": "query", "description": QUERY[n][0], "schema": QUERY[n][1]} for n in route.query]
    ok: dict[str, Any] = {"description": STATUS_TEXT[route.ok]}
    if route.returns:
        ok["content"] = _schema(route.returns)
    if route.query and "page" in route.query:
        ok["headers"] = {"X-Total-Count": {"schema": I}, "Link": {"schema": S}}
    operation: dict[str, Any] = {
        "operationId": op_id, "summary": route.summary, "tags": [route.tag], "parameters": params,
        "responses": {str(route.ok): ok, **{str(code): {"$ref": f"#/components/responses/E{code}"}
                                            for code in route.errors}},
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
                          for code in (400, 401, 403, 404, 409, 412, 413)},
        },
    }


def handler(routes, prefix: str):
    """A handler serving the document, rendered once."""
    text = json.dumps(build(routes, prefix))

    async def serve(request: web.Request) -> web.Response:
        return web.Response(text=text, content_type="application/json")

    return serve
