"""Webhook policies and deliveries to a real aiohttp receiver on 127.0.0.1."""
from __future__ import annotations

import time

import pytest

from tests.api.conftest import error_code, wait_for
from tests.support.images import make_image
from tests.support.receiver import Receiver


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


def _policy(url: str, events=("PUSH_ARTIFACT", "PULL_ARTIFACT", "DELETE_ARTIFACT")) -> dict:
    return {"name": "notify", "enabled": True, "event_types": list(events),
            "targets": [{"type": "http", "address": url, "auth_header": "Bearer s3cret", "skip_cert_verify": False}]}


def test_policy_crud_and_errors(admin, user, project, receiver):
    base = f"/projects/{project}/webhook/policies"
    created = admin.post(base, json=_policy(receiver.url))
    assert created.status_code == 201
    policy_id = created.headers["Location"].rsplit("/", 1)[1]
    shown = admin.get(f"{base}/{policy_id}").json()
    assert shown["targets"][0]["address"] == receiver.url and shown["event_types"][0] == "PUSH_ARTIFACT"
    assert admin.get(base).headers["X-Total-Count"] == "1"
    assert error_code(admin.post(base, json=_policy(receiver.url))) == "CONFLICT"
    for bad in ({**_policy(receiver.url), "name": "b", "event_types": ["SCAN"]},
                {**_policy("ftp://x"), "name": "c"}, {**_policy(receiver.url), "name": "d", "targets": []},
                {"name": "e"}):
        assert admin.post(base, json=bad).status_code == 400, bad
    developer, _ = user(project, 2)
    assert developer.get(base).status_code == 200
    assert developer.post(base, json={**_policy(receiver.url), "name": "mine"}).status_code == 403
    assert admin.put(f"{base}/{policy_id}", json={**_policy(receiver.url), "enabled": False}).status_code == 200
    assert admin.get(f"{base}/{policy_id}").json()["enabled"] is False
    assert admin.delete(f"{base}/{policy_id}").status_code == 200
    assert admin.get(f"{base}/{policy_id}").status_code == 404
    assert admin.delete(f"{base}/{policy_id}").status_code == 404


def test_push_pull_delete_are_delivered_with_retries(admin, registry, project, receiver):
    admin.post(f"/projects/{project}/webhook/policies", json=_policy(receiver.url))
    receiver.fail_first = 1  # the first delivery fails and must be retried
    digest = registry.push_image(f"{project}/app", make_image(layers=1), "v1")
    push = wait_for(lambda: receiver.of_type("PUSH_ARTIFACT"))
    assert push, "no PUSH_ARTIFACT delivered"
    event = push[0]
    assert event["operator"] == "admin" and isinstance(event["occur_at"], int)
    resource = event["event_data"]["resources"][0]
    assert resource["digest"] == digest and resource["tag"] == "v1"
    assert resource["resource_url"].endswith(f"/{project}/app:v1")
    assert event["event_data"]["repository"] == {
        "date_created": event["event_data"]["repository"]["date_created"], "name": "app", "namespace": project,
        "repo_full_name": f"{project}/app", "repo_type": "private"}
    assert receiver.headers[0]["Authorization"] == "Bearer s3cret"
    registry.get(f"/v2/{project}/app/manifests/v1")
    pulled = wait_for(lambda: receiver.of_type("PULL_ARTIFACT"))
    assert pulled and pulled[0]["event_data"]["resources"][0]["digest"] == digest
    assert admin.delete(f"/projects/{project}/repositories/app/artifacts/{digest}").status_code == 200
    deleted = wait_for(lambda: receiver.of_type("DELETE_ARTIFACT"))
    assert deleted and deleted[0]["event_data"]["resources"][0]["digest"] == digest


def test_a_slow_receiver_never_slows_pulls(admin, registry, project, receiver):
    admin.post(f"/projects/{project}/webhook/policies", json=_policy(receiver.url, ["PULL_ARTIFACT"]))
    registry.push_image(f"{project}/app", make_image(layers=1), "v1")
    receiver.delay = 2.0
    started = time.monotonic()
    for _ in range(5):
        assert registry.get(f"/v2/{project}/app/manifests/v1").status_code == 200
    assert time.monotonic() - started < 1.0
    assert wait_for(lambda: len(receiver.of_type("PULL_ARTIFACT")) == 5, timeout=10)
    assert receiver.of_type("PUSH_ARTIFACT") == []  # not subscribed


def test_test_call_and_executions_of_a_policy(admin, user, registry, project, receiver):
    base = f"/projects/{project}/webhook/policies"
    assert admin.post(f"{base}/test", json=_policy(receiver.url)).status_code == 200
    assert receiver.of_type("PING") and receiver.headers[0]["Authorization"] == "Bearer s3cret"
    receiver.fail_first = 1
    refused = admin.post(f"{base}/test", json=_policy(receiver.url))
    assert refused.status_code == 400 and "HTTP 503" in refused.json()["errors"][0]["message"]
    assert admin.post(f"{base}/test", json={"targets": [{"address": "ftp://x"}]}).status_code == 400
    developer, _ = user(project, 2)
    assert developer.post(f"{base}/test", json=_policy(receiver.url)).status_code == 403

    policy_id = admin.post(base, json=_policy(receiver.url)).headers["Location"].rsplit("/", 1)[1]
    dead = admin.post(base, json={**_policy("http://127.0.0.1:9/hook", ["PUSH_ARTIFACT"]), "name": "dead"})
    dead_id = dead.headers["Location"].rsplit("/", 1)[1]
    assert [p["name"] for p in admin.get(base, params={"q": "name=~ea"}).json()] == ["dead"]
    assert admin.get(base, params={"q": "name=notify"}).headers["X-Total-Count"] == "1"
    registry.push_image(f"{project}/app", make_image(layers=1), "v1")
    delivered = wait_for(lambda: admin.get(f"{base}/{policy_id}/executions").json())
    assert delivered[0]["status"] == "Success" and delivered[0]["extra_attrs"]["event_type"] == "PUSH_ARTIFACT"
    assert delivered[0]["vendor_id"] == int(policy_id)
    failed = wait_for(lambda: admin.get(f"{base}/{dead_id}/executions").json(), timeout=10)
    assert failed[0]["status"] == "Error" and "given up after 3 attempts" in failed[0]["status_message"]
    assert developer.get(f"{base}/{policy_id}/executions").headers["X-Total-Count"] == "1"
    assert admin.get(f"{base}/999999/executions").status_code == 404
    assert admin.delete(f"{base}/{policy_id}").status_code == 200
    assert admin.get(f"{base}/{policy_id}/executions").status_code == 404
