"""Tag retention: Harbor's /retentions API, dry runs that say exactly what a real run then
deletes, counting per artifact, immutable tags kept whole, index children following their index."""
from __future__ import annotations

import json
import re
import threading
import time

import pytest

from tests.api.conftest import Api, error_code, unique, wait_for
from tests.conftest import ADMIN
from tests.reliability.support import assert_image_intact
from tests.support.client import RegistryClient
from tests.support.images import Image, make_image, make_index, sha256


def _selectors(tags: str = "**", repos: str = "**", untagged: bool = False) -> dict:
    return {"tag_selectors": [{"kind": "doublestar", "decoration": "matches", "pattern": tags,
                               "extras": '{"untagged": %s}' % ("true" if untagged else "false")}],
            "scope_selectors": {"repository": [{"kind": "doublestar", "decoration": "repoMatches",
                                                "pattern": repos}]}}


def _policy(project_id: int, *rules: dict, cron: str = "") -> dict:
    return {"algorithm": "or", "rules": list(rules), "scope": {"level": "project", "ref": project_id},
            "trigger": {"kind": "Schedule", "settings": {"cron": cron}}}


def _rule(template: str, n: int | None = None, **selectors) -> dict:
    return {"action": "retain", "template": template, "params": {} if n is None else {template: n},
            **_selectors(**selectors)}


def _project_id(admin, project: str) -> int:
    return admin.get(f"/projects/{project}").json()["project_id"]


def _create(admin, project: str, *rules: dict) -> int:
    made = admin.post("/retentions", json=_policy(_project_id(admin, project), *rules))
    assert made.status_code == 201, made.text
    return int(made.headers["Location"].rsplit("/", 1)[1])


def _execute(admin, policy_id: int, dry_run: bool) -> tuple[dict, list[dict], str]:
    started = admin.post(f"/retentions/{policy_id}/executions", json={"dry_run": dry_run})
    assert started.status_code == 201, started.text
    execution_id = int(started.headers["Location"].rsplit("/", 1)[1])
    deadline = time.monotonic() + 20
    while True:
        (execution,) = [e for e in admin.get(f"/retentions/{policy_id}/executions").json()
                        if e["id"] == execution_id]
        if execution["status"] != "Running" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    tasks = admin.get(f"/retentions/{policy_id}/executions/{execution_id}/tasks").json()
    logs = "".join(admin.get(f"/retentions/{policy_id}/executions/{execution_id}/tasks/{t['id']}").text
                   for t in tasks)
    return execution, tasks, logs


def test_policy_crud_and_project_metadata(admin, project):
    policy_id = _create(admin, project, _rule("latestPushedK", 3, tags="v*"))
    assert admin.get(f"/projects/{project}").json()["metadata"]["retention_id"] == str(policy_id)
    policy = admin.get(f"/retentions/{policy_id}").json()
    assert policy["rules"][0]["template"] == "latestPushedK" and policy["rules"][0]["params"] == {"latestPushedK": 3}
    assert policy["scope"] == {"level": "project", "ref": _project_id(admin, project)}
    again = admin.post("/retentions", json=_policy(_project_id(admin, project), _rule("always")))
    assert again.status_code == 409
    assert admin.put(f"/retentions/{policy_id}", json=_policy(_project_id(admin, project), _rule("always"))).status_code == 200
    assert admin.get(f"/retentions/{policy_id}").json()["rules"][0]["template"] == "always"
    templates = {t["rule_template"] for t in admin.get("/retentions/metadatas").json()["templates"]}
    assert templates == {"latestPushedK", "latestPulledN", "nDaysSinceLastPush", "nDaysSinceLastPull", "always"}
    assert admin.delete(f"/retentions/{policy_id}").status_code == 200
    assert admin.get(f"/retentions/{policy_id}").status_code == 404
    assert "retention_id" not in admin.get(f"/projects/{project}").json()["metadata"]


@pytest.mark.parametrize("change", [
    lambda p: {**p, "rules": [_rule("keepSome", 1)]},
    lambda p: {**p, "rules": [_rule("latestPushedK")]},
    lambda p: {**p, "rules": [_rule("latestPushedK", -1)]},
    lambda p: {**p, "rules": [_rule("nDaysSinceLastPull", True)]},
    lambda p: {**p, "rules": [_rule("always")] * 16},
    lambda p: {**p, "rules": [{**_rule("always"), "tag_selectors": [{"pattern": "[x"}]}]},
    lambda p: {**p, "rules": [{**_rule("always"), "tag_selectors": [{"pattern": "*", "extras": "{oops"}]}]},
    lambda p: {**p, "scope": {"level": "system", "ref": 1}},
    lambda p: {**p, "scope": {"level": "project", "ref": 99999999}},
    lambda p: {**p, "trigger": {"kind": "Schedule", "settings": {"cron": "0 0 * * *"}}},
    lambda p: {**p, "algorithm": "and"},
    lambda p: [p],
])
def test_bad_policies_get_harbors_errors(admin, project, change):
    body = change(_policy(_project_id(admin, project), _rule("always")))
    answer = admin.post("/retentions", json=body)
    assert answer.status_code == 400, answer.text
    assert error_code(answer) == "BAD_REQUEST"


def _digest_of(registry, repo: str, tag: str) -> str | None:
    answer = registry.get(f"/v2/{repo}/manifests/{tag}")
    return answer.headers["Docker-Content-Digest"] if answer.status_code == 200 else None


def test_dry_run_lists_exactly_what_the_run_deletes(admin, project, registry):
    repo = f"{project}/app"
    index = make_index([("linux", "amd64"), ("linux", "arm64")])
    registry.push_index(repo, index, "v0-multi")  # the oldest push
    time.sleep(0.02)
    images = {}
    for i in range(1, 5):
        images[f"v{i}"] = make_image(layers=1, layer_size=500 + i)
        registry.push_image(repo, images[f"v{i}"], f"v{i}")
        time.sleep(0.02)
    registry.push_image(repo, images["v4"], "stable")  # one artifact, two tags
    images["dev"] = make_image(layers=1, layer_size=600)
    registry.push_image(repo, images["dev"], "dev")
    untagged = make_image(layers=1, layer_size=601)
    registry.push_image(repo, untagged)
    immutable = {"tag_selectors": [{"decoration": "matches", "pattern": "v1"}],
                 "scope_selectors": {"repository": [{"decoration": "repoMatches", "pattern": "**"}]}}
    assert admin.post(f"/projects/{project}/immutabletagrules", json=immutable).status_code == 201
    policy_id = _create(admin, project, _rule("latestPushedK", 2, tags="v*"))

    execution, tasks, dry_log = _execute(admin, policy_id, dry_run=True)
    assert execution["status"] == "Succeed" and execution["dry_run"] is True
    assert [(t["repository"], t["total"], t["retained"]) for t in tasks] == [(repo, 7, 3)]
    would = set(re.findall(r"would delete (\S+)", dry_log))
    assert would == {f"{repo}@{images[t].digest}" for t in ("v2", "dev")} | {f"{repo}@{untagged.digest}",
                                                                              f"{repo}@{index.digest}"}
    assert _digest_of(registry, repo, "v2") == images["v2"].digest  # a dry run deletes nothing

    execution, tasks, log = _execute(admin, policy_id, dry_run=False)
    assert execution["status"] == "Succeed" and tasks[0]["status"] == "Succeed"
    assert set(re.findall(r"deleted (\S+)", log)) == would
    assert _digest_of(registry, repo, "v1") == images["v1"].digest  # immutable: kept whole
    assert _digest_of(registry, repo, "v2") is None and _digest_of(registry, repo, "dev") is None
    assert _digest_of(registry, repo, "v3") == images["v3"].digest
    assert _digest_of(registry, repo, "stable") == images["v4"].digest  # kept by its v4 tag
    assert registry.get(f"/v2/{repo}/manifests/{untagged.digest}").status_code == 404
    for child in index.images:  # an index's platform manifests go with it
        assert registry.get(f"/v2/{repo}/manifests/{child.digest}").status_code == 404
    history = admin.get(f"/retentions/{policy_id}/executions").json()
    assert [e["dry_run"] for e in history] == [False, True]


def test_rules_are_ored_and_scoped(admin, project, registry):
    kept, other = f"{project}/kept", f"{project}/other"
    for repo in (kept, other):
        registry.push_image(repo, make_image(layers=1, layer_size=700), "old")
    registry.push_image(kept, make_image(layers=1, layer_size=701))  # untagged
    policy_id = _create(admin, project, _rule("always", tags="old", repos="kept"),
                        _rule("latestPushedK", 5, tags="**", untagged=True, repos="kept"))
    _, tasks, log = _execute(admin, policy_id, dry_run=False)
    assert [t["repository"] for t in tasks] == [kept]  # other is in no rule's scope: untouched
    assert "deleted" not in log
    assert _digest_of(registry, other, "old") is not None and _digest_of(registry, kept, "old") is not None


def test_only_project_admins_manage_policies(admin, project, user):
    developer, _ = user(project, 3)
    body = _policy(_project_id(admin, project), _rule("always"))
    assert developer.post("/retentions", json=body).status_code == 403
    policy_id = _create(admin, project, _rule("always"))
    assert developer.post(f"/retentions/{policy_id}/executions", json={"dry_run": True}).status_code == 403
    assert admin.get("/retentions/99999999").status_code == 404


def test_retention_racing_pushes_keeps_everything_it_should(admin, project, registry, server):
    """Pushes tag images (new ones, and untagged ones a run may be about to delete) while real
    runs go on: every image acknowledged under a kept tag survives. (The narrow window itself —
    tagged between a run's look and its delete — is pinned down by the storage suite's
    conditional-delete test.)"""
    repo = f"{project}/race"
    policy_id = _create(admin, project, _rule("always", tags="keep-*"))
    kept: dict[str, object] = {}
    stop = threading.Event()
    errors: list[str] = []

    def pusher() -> None:
        client = RegistryClient(server.url, ADMIN)
        i = 0
        while not stop.is_set():
            image = make_image(layers=1, layer_size=800 + i % 50)
            try:
                client.push_image(repo, image)  # untagged: what the policy deletes
            except AssertionError as error:
                errors.append(f"push: {error}")
                return
            tag = f"keep-{i}"
            if client.push_manifest(repo, tag, image.manifest, image.media_type).status_code == 201:
                kept[tag] = image  # tagged after the fact: the run must not take it now
            i += 1

    def runner() -> None:
        while not stop.is_set():
            try:
                _execute(admin, policy_id, dry_run=False)
            except AssertionError as error:
                errors.append(f"run: {error}")
            time.sleep(0.1)

    threads = [threading.Thread(target=pusher), threading.Thread(target=runner)]
    for thread in threads:
        thread.start()
    time.sleep(5)
    stop.set()
    for thread in threads:
        thread.join(60)
    _execute(admin, policy_id, dry_run=False)
    assert not errors, errors
    assert len(kept) >= 5
    for tag, image in kept.items():
        assert_image_intact(registry, repo, tag, image)


def _beside_layer_of(base: Image, size: int) -> Image:
    """A new image whose first layer is ``base``'s first layer."""
    own = make_image(layers=1, layer_size=size)
    doc = json.loads(own.manifest)
    doc["layers"].insert(0, json.loads(base.manifest)["layers"][0])
    shared = base.layers[0]
    return Image(own.config, [shared, *own.layers], json.dumps(doc).encode(), own.media_type,
                 {**own.blobs, sha256(shared): shared})


def _gc_now(server) -> str:
    admin = Api(server.url, ADMIN)
    started = admin.post("/system/gc/schedule", json={"schedule": {"type": "Manual"},
                                                      "parameters": {"delete_untagged": False, "dry_run": False}})
    assert started.status_code == 201, started.text
    run_id = started.headers["Location"].rsplit("/", 1)[1]
    deadline = time.monotonic() + 20
    while admin.get(f"/system/gc/{run_id}").json()["job_status"] == "Running" and time.monotonic() < deadline:
        time.sleep(0.2)
    return admin.get(f"/system/gc/{run_id}/log").text


def test_a_run_says_how_many_bytes_gc_then_frees(fresh_berth):
    """Counted once per blob: what a deleted artifact shares with a kept one, or with another
    project, is not freed; the dry run, the run and the GC that follows agree to the byte."""
    server = fresh_berth(settings={"gc": {"grace": 0}})
    admin, registry = Api(server.url, ADMIN), RegistryClient(server.url, ADMIN)
    project, other = unique(), unique()
    for name in (project, other):
        assert admin.post("/projects", json={"project_name": name}).status_code == 201
    repo = f"{project}/app"
    everywhere = make_image(layers=1, layer_size=3000)
    registry.push_image(f"{other}/copy", everywhere, "v1")
    registry.push_image(repo, everywhere, "old-shared")
    only_here = make_image(layers=2, layer_size=5000)
    registry.push_image(repo, only_here, "old-own")
    time.sleep(0.02)
    newest = _beside_layer_of(only_here, 4000)
    registry.push_image(repo, newest, "new")
    policy_id = _create(admin, project, _rule("latestPushedK", 1))
    freed = len(only_here.manifest) + len(only_here.config) + len(only_here.layers[1])

    dry, _, dry_log = _execute(admin, policy_id, dry_run=True)
    assert set(re.findall(r"would delete \S+@(\S+)", dry_log)) == {everywhere.digest, only_here.digest}
    assert dry["freed_bytes"] == freed
    assert "0 manifest(s) and 0 blob(s), 0 bytes" in _gc_now(server)  # a dry run frees nothing
    run, _, _ = _execute(admin, policy_id, dry_run=False)
    assert run["status"] == "Succeed" and run["freed_bytes"] == freed
    assert f"deleted 0 manifest(s) and 3 blob(s), {freed} bytes" in _gc_now(server)
    assert_image_intact(registry, repo, "new", newest)
    assert_image_intact(registry, f"{other}/copy", "v1", everywhere)


def test_a_run_stops_when_asked_and_deletes_no_more(admin, project, registry):
    repos = [f"{project}/r{i:02}" for i in range(20)]
    for repo in repos:
        for n in range(4):
            registry.push_image(repo, make_image(layers=1, layer_size=900 + n), f"t{n}")
    policy_id = _create(admin, project, _rule("latestPushedK", 0))
    started = admin.post(f"/retentions/{policy_id}/executions", json={"dry_run": False})
    execution = started.headers["Location"].rsplit("/", 1)[1]
    assert wait_for(lambda: admin.get(f"/retentions/{policy_id}/executions/{execution}/tasks").json(), 10)
    stopping = admin("PATCH", f"/retentions/{policy_id}/executions/{execution}", json={"action": "stop"})
    assert stopping.status_code == 200, stopping.text
    status = wait_for(lambda: next(e["status"] for e in admin.get(f"/retentions/{policy_id}/executions").json()
                                   if e["id"] == int(execution)) in ("Stopped",))
    assert status, "the execution did not stop"

    def remaining() -> int:
        return sum(len(registry.get(f"/v2/{repo}/tags/list").json().get("tags") or []) for repo in repos)

    left = remaining()
    assert 0 < left < 80  # it had begun, and it stopped before the end
    time.sleep(1)
    assert remaining() == left
    tasks = admin.get(f"/retentions/{policy_id}/executions/{execution}/tasks").json()
    assert 0 < len(tasks) < len(repos)  # repositories after the stop are not started
    assert {t["status"] for t in tasks} <= {"Succeed", "Stopped"}
    again = admin("PATCH", f"/retentions/{policy_id}/executions/{execution}", json={"action": "stop"})
    assert again.status_code == 400 and "not running (Stopped)" in again.json()["errors"][0]["message"]
    wrong = admin("PATCH", f"/retentions/{policy_id}/executions/{execution}", json={"action": "pause"})
    assert wrong.status_code == 400 and error_code(wrong) == "BAD_REQUEST"
    missing = admin("PATCH", f"/retentions/{policy_id}/executions/99999999", json={"action": "stop"})
    assert missing.status_code == 404
