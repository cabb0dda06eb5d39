"""/api/v2.0/registries: Harbor's shapes, admin only, secrets encrypted and never shown, bad input a 400."""
from __future__ import annotations

import sqlite3
import uuid

from tests.api.conftest import Api, error_code
from tests.proxy.conftest import PASSWORD, USER


def _endpoint(url: str, **extra) -> dict:
    return {"name": f"up-{uuid.uuid4().hex[:8]}", "type": "docker-registry", "url": url,
            "credential": {"type": "basic", "access_key": USER, "access_secret": PASSWORD}, "insecure": True,
            "description": "loopback Distribution", **extra}


def _create(api: Api, body: dict) -> int:
    response = api.post("/registries", json=body)
    assert response.status_code == 201, response.text
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_create_get_list_update_delete(admin_api, upstream):
    body = _endpoint(upstream.url)
    endpoint_id = _create(admin_api, body)
    shown = admin_api.get(f"/registries/{endpoint_id}").json()
    assert {k: shown[k] for k in ("name", "type", "url", "insecure", "description")} == {
        k: body[k] for k in ("name", "type", "url", "insecure", "description")}
    assert shown["credential"] == {"type": "basic", "access_key": USER, "access_secret": "*****"}
    assert endpoint_id in [e["id"] for e in admin_api.get("/registries").json()]
    assert admin_api.post("/registries", json=body).status_code == 409
    assert admin_api.put(f"/registries/{endpoint_id}", json={"description": "changed"}).status_code == 200
    assert admin_api.get(f"/registries/{endpoint_id}").json()["description"] == "changed"
    info = admin_api.get(f"/registries/{endpoint_id}/info").json()
    assert info["type"] == "docker-registry"
    assert admin_api.delete(f"/registries/{endpoint_id}").status_code == 200
    assert admin_api.get(f"/registries/{endpoint_id}").status_code == 404


def test_the_secret_is_encrypted_at_rest(admin_api, upstream, proxy):
    endpoint_id = _create(admin_api, _endpoint(upstream.url))
    with sqlite3.connect(proxy.data_dir / "berth.db") as db:
        (stored,) = db.execute("SELECT secret FROM registry_endpoints WHERE id = ?", (endpoint_id,)).fetchone()
    assert stored and PASSWORD not in stored
    assert PASSWORD not in admin_api.get("/registries").text


def test_ping_checks_the_url_and_the_login(admin_api, upstream):
    assert admin_api.post("/registries/ping", json=_endpoint(upstream.url)).status_code == 200
    wrong = _endpoint(upstream.url, credential={"type": "basic", "access_key": USER, "access_secret": "nope"})
    refused = admin_api.post("/registries/ping", json=wrong)
    assert refused.status_code == 400 and "401" in refused.text
    endpoint_id = _create(admin_api, _endpoint(upstream.url))
    assert admin_api.post("/registries/ping", json={"id": endpoint_id}).status_code == 200
    down = admin_api.post("/registries/ping", json=_endpoint("http://127.0.0.1:9"))
    assert down.status_code == 400


def test_only_admins(proxy, upstream):
    anonymous = Api(proxy.url, None)
    assert anonymous.get("/registries").status_code == 401
    assert anonymous.post("/registries", json=_endpoint(upstream.url)).status_code == 401


def test_bad_input_is_a_harbor_400(admin_api, upstream):
    for body in ({"name": "x"}, {"name": "x", "type": "quay", "url": upstream.url},
                 {"name": "x", "type": "harbor", "url": "ftp://127.0.0.1"},
                 {"name": "x", "type": "harbor", "url": "http://10.0.0.1:5000"},
                 {"name": "x", "type": "harbor", "url": "http://127.0.0.1:99999"},
                 {"name": "x", "type": "harbor", "url": "http://127.0.0.1/v2/path"},
                 {"name": "x", "type": "harbor", "url": upstream.url, "credential": {"type": "oauth"}},
                 {"name": 5, "type": "harbor", "url": upstream.url},
                 {"name": "x", "type": "docker-hub"}):  # Docker Hub's host is not among upstream_hosts here
        response = admin_api.post("/registries", json=body)
        assert response.status_code == 400, (body, response.text)
        assert error_code(response) == "BAD_REQUEST"
    assert admin_api.post("/registries/ping", json={"id": 10**30}).status_code == 400
    assert admin_api.get("/registries/abc").status_code == 400


def test_an_endpoint_in_use_is_not_deleted(admin_api, upstream):
    endpoint_id = _create(admin_api, _endpoint(upstream.url))
    name = f"px{uuid.uuid4().hex[:8]}"
    made = admin_api.post("/projects", json={"project_name": name, "registry_id": endpoint_id,
                                            "metadata": {"public": "true"}})
    assert made.status_code == 201, made.text
    assert admin_api.get(f"/projects/{name}").json()["registry_id"] == endpoint_id
    assert admin_api.delete(f"/registries/{endpoint_id}").status_code == 412
    assert admin_api.post("/projects", json={"project_name": name + "x", "registry_id": 999999}).status_code == 400
    assert admin_api.delete(f"/projects/{name}").status_code == 200
    assert admin_api.delete(f"/registries/{endpoint_id}").status_code == 200


def test_a_new_proxy_project_keeps_what_was_pulled_in_the_last_week(admin_api, upstream):
    endpoint_id = _create(admin_api, _endpoint(upstream.url))
    name = f"px{uuid.uuid4().hex[:8]}"
    made = admin_api.post("/projects", json={"project_name": name, "registry_id": endpoint_id})
    assert made.status_code == 201, made.text
    retention_id = admin_api.get(f"/projects/{name}").json()["metadata"]["retention_id"]
    policy = admin_api.get(f"/retentions/{retention_id}").json()
    (rule,) = policy["rules"]
    assert (rule["template"], rule["params"]) == ("nDaysSinceLastPull", {"nDaysSinceLastPull": 7})
    assert rule["tag_selectors"][0]["pattern"] == "**" and '"untagged": true' in rule["tag_selectors"][0]["extras"]
    assert policy["trigger"]["settings"]["cron"] == "0 0 0 * * *"
    plain = f"pl{uuid.uuid4().hex[:8]}"
    assert admin_api.post("/projects", json={"project_name": plain}).status_code == 201
    assert "retention_id" not in admin_api.get(f"/projects/{plain}").json()["metadata"]
