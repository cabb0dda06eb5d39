"""Pods from manifests: every workload kind, YAML and JSON, and errors that say where."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from registry.agent.credential_provider import API_VERSIONS
from registry.agent.daemon_config import load_daemon_config
from registry.agent.documents import load_documents, parse_documents
from registry.agent.errors import InputError
from registry.agent.secrets import SecretPool
from registry.agent.workloads import pods_from_document

POD_SPEC = {"containers": [{"name": "app", "image": "reg.io/team/app:v1"}]}


def pods(text: str, source: str = "pods.yaml"):
    return [pod for doc in parse_documents(text, source) for pod in pods_from_document(doc)]


def workload(kind: str, api_version: str = "apps/v1", **spec) -> dict:
    body = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "web"}}
    template = {"metadata": {"labels": {"app": "web"}}, "spec": POD_SPEC}
    if kind == "Pod":
        body["spec"] = POD_SPEC
    elif kind == "CronJob":
        body["spec"] = {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": template}}}
    else:
        body["spec"] = {"template": template, **spec}
    return body


@pytest.mark.parametrize("body, names, owner", [
    (workload("Pod", "v1"), ["web"], ""),
    (workload("Deployment", "extensions/v1beta1", replicas=2), ["web-*-*", "web-*-*"], "ReplicaSet/web-"),
    (workload("Deployment"), ["web-*-*"], "ReplicaSet/web-"),
    (workload("Deployment", replicas=0), [], ""),
    (workload("ReplicaSet", replicas=3), ["web-*"] * 3, "ReplicaSet/web"),
    (workload("StatefulSet", replicas=2), ["web-0", "web-1"], "StatefulSet/web"),
    (workload("DaemonSet"), ["web-*"], "DaemonSet/web"),
    (workload("Job", "batch/v1", parallelism=2), ["web-*"] * 2, "Job/web"),
    (workload("CronJob", "batch/v1"), ["web-*"], "Job/web"),
])
def test_workload_kinds(body, names, owner):
    found = pods(json.dumps(body), "w.json")
    assert len(found) == len(names)
    for pod, pattern in zip(found, names):
        assert Path(pod.name).match(pattern) and pod.owner.startswith(owner)
        assert pod.containers[0].image == "reg.io/team/app:v1" and str(pod.containers[0].pull_policy) == "IfNotPresent"
    assert len({pod.name for pod in found}) == len(found) and len({pod.uid for pod in found}) == len(found)


def test_multi_document_yaml_keeps_order_and_skips_other_kinds():
    text = """
apiVersion: v1
kind: Pod
metadata: {name: myapp-pod, namespace: team}
spec:
  imagePullSecrets: [{name: regcred}]
  containers:
  - {name: myapp-container, image: "busybox:1.28"}
  initContainers:
  - {name: init-myservice, image: busybox:1.28}
  - {name: init-mydb, image: busybox, imagePullPolicy: Never}
---
apiVersion: v1
kind: Service
metadata: {name: myservice}
spec: {ports: [{port: 80}]}
---
"""
    (pod,) = pods(text)
    assert pod.namespace == "team" and pod.pull_secrets == ("regcred",)
    assert [(c.name, c.init, str(c.pull_policy)) for c in pod.all_containers] == [
        ("init-myservice", True, "IfNotPresent"), ("init-mydb", True, "Never"),
        ("myapp-container", False, "IfNotPresent")]


def test_json_with_tabs_and_kind_list():
    text = json.dumps({"kind": "List", "items": [workload("Pod", "v1"), workload("DaemonSet")]}, indent="\t")
    assert [pod.owner for pod in pods(text)] == ["", "DaemonSet/web"]


@pytest.mark.parametrize("text, expected", [
    ("kind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n", "pods.yaml: document 1: spec.containers: "),
    ("kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a}]}\n", "document 1: spec.containers[0].image: "),
    ("---\nkind: Service\n---\nkind: Deployment\nmetadata: {name: d}\nspec: {template: {spec: {containers: "
     "[{name: a, image: x, imagePullPolicy: Sometimes}]}}}\n",
     'document 2: spec.template.spec.containers[0].imagePullPolicy: Unsupported value: \'Sometimes\''),
    ("kind: Deployment\nmetadata: {name: d}\nspec: {replicas: two, template: {spec: {containers: "
     "[{name: a, image: x}]}}}\n", "document 1: spec.replicas: must be a non-negative integer"),
    ("kind: Deployment\nmetadata: {name: d}\nspec: {}\n", "document 1: spec.template: required mapping"),
    ("kind: Pod\nspec: {}\n", "document 1: metadata.name: required string"),
    ("kind: Pod\nmetadata: {name: p}\nspec:\n  imagePullSecrets: regcred\n  containers: [{name: a, image: x}]\n",
     "document 1: spec.imagePullSecrets: "),
    ("kind: Pod\nmetadata: {name: p}\nspec: {initContainers: [{name: i, image: ''}], containers: [{name: a, "
     "image: x}]}\n", "document 1: spec.initContainers[0].image: required string"),
    ("kind: Pod\n  bad: indent\n", "pods.yaml: not valid YAML or JSON at line 2"),
    ("- just\n- a list\n", "pods.yaml: document 1: must be a Kubernetes object"),
])
def test_errors_name_file_document_and_field(text, expected):
    with pytest.raises(InputError) as caught:
        pods(text)
    assert expected in str(caught.value)


def test_cli_reports_bad_input_without_traceback(tmp_path):
    manifest = tmp_path / "deploy.yaml"
    manifest.write_text("kind: Service\n---\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n"
                        "    spec:\n      containers:\n      - name: a\n        image: 42\n")
    good = tmp_path / "pod.json"
    good.write_text(json.dumps(workload("Pod", "v1")))
    secret = tmp_path / "secret.yaml"
    secret.write_text("kind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/dockerconfigjson\n"
                      "data: {.dockerconfigjson: '%%%'}\n")
    for args, expected in [
        ([str(manifest)], f"{manifest}: document 2: spec.template.spec.containers[0].image: required string"),
        ([str(manifest), "--secret", str(secret)], f"{secret}: document 1: data[.dockerconfigjson]: not valid base64"),
        ([str(tmp_path / "missing.yaml")], "missing.yaml: cannot read"),
        ([str(good), "--daemon-json", str(secret)], f"{secret}: not valid JSON"),
        ([str(manifest), "--secret", str(manifest)], "document 1: kind: expected a Secret, found 'Service'"),
    ]:
        done = subprocess.run([sys.executable, "-m", "registry.agent", "run", *args, "--state", str(tmp_path / "s")],
                              capture_output=True, text=True)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr and expected in done.stderr


EXAMPLES = Path(__file__).resolve().parents[2] / "conf" / "examples" / "agent"


def test_shipped_examples_are_valid():
    found = {path.name: [pod for doc in load_documents(str(path)) for pod in pods_from_document(doc)]
             for path in EXAMPLES.glob("*.yaml")}
    assert len(found["nginx-deployment.yaml"]) == 2
    assert [c.name for c in found["pod-init-containers.yaml"][0].all_containers] == [
        "init-myservice", "init-mydb", "myapp-container"]
    pool = SecretPool()
    pool.add_documents(load_documents(str(EXAMPLES / "harbor-pull-secret.yaml")))
    assert pool.keyring_for("default", ("harbor-pull-secret",))[0]
    assert load_daemon_config(str(EXAMPLES / "daemon.json")).is_insecure("192.168.30.15")
    config = load_documents(str(EXAMPLES / "credential-provider-config.yaml"))[0].body
    assert config["providers"][0]["apiVersion"] in API_VERSIONS
