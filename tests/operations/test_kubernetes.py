"""conf/examples/kubernetes/: valid objects that agree with each other, with Berth and with the agent.

Every object is checked against the Kubernetes schema (kubernetes-validate, offline, strict:
an unknown field fails); names, ports, mounts and Secrets are cross-checked; the Berth
configuration is loaded by Berth itself; the probes are sent to a real Berth started
with that configuration; the agent's command lines are read by the agent's own parser.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path, PurePosixPath

import kubernetes_validate
import pytest
import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families

from registry.agent.cli import build_parser as agent_parser
from registry.agent.daemon_config import parse_daemon_config
from registry.agent.documents import parse_documents
from registry.agent.workloads import pods_from_document
from registry.config import load_config
from tests.operations.test_health import run_in_image_environment
from tests.support.server import ROOT, free_port

DIRECTORY = ROOT / "conf" / "examples" / "kubernetes"
NAMESPACED = {"ConfigMap", "Secret", "Service", "StatefulSet", "DaemonSet", "Deployment"}


def objects() -> list[dict]:
    found = []
    for path in sorted(DIRECTORY.glob("*.yaml")):
        found += [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
    return found


def one(kind: str, name: str) -> dict:
    matches = [o for o in objects() if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"one {kind} {name}"
    return matches[0]


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def container(workload: dict) -> dict:
    (only,) = pod_spec(workload)["containers"]
    return only


def berth_config_text() -> str:
    statefulset = one("StatefulSet", "berth")
    args = container(statefulset)["args"]
    config_path = PurePosixPath(args[args.index("--config") + 1])
    mounts = {m["mountPath"]: m["name"] for m in container(statefulset)["volumeMounts"]}
    volume = next(v for v in pod_spec(statefulset)["volumes"] if v["name"] == mounts[str(config_path.parent)])
    return one("ConfigMap", volume["configMap"]["name"])["data"][config_path.name]


def berth_config(tmp_path: Path):
    path = tmp_path / "berth.yml"
    path.write_text(berth_config_text())
    return load_config(path, environ={})


def test_there_are_the_expected_objects():
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objects()}
    assert {("Namespace", "berth"), ("Secret", "berth-admin"), ("ConfigMap", "berth-config"),
            ("Service", "berth"), ("StatefulSet", "berth"), ("ConfigMap", "berth-agent"),
            ("DaemonSet", "berth-agent")} <= kinds


@pytest.mark.parametrize("obj", objects(), ids=lambda o: f"{o['kind']}/{o['metadata']['name']}")
def test_every_object_is_valid_kubernetes(obj):
    kubernetes_validate.validate(obj, kubernetes_validate.latest_version(), strict=True)
    if obj["kind"] in NAMESPACED:
        assert obj["metadata"]["namespace"] == "berth"


@pytest.mark.parametrize("name, kind", [("berth", "StatefulSet"), ("berth-agent", "DaemonSet")])
def test_workloads_are_wired_to_objects_that_exist(name, kind):
    workload = one(kind, name)
    labels = workload["spec"]["template"]["metadata"]["labels"]
    assert workload["spec"]["selector"]["matchLabels"].items() <= labels.items()
    spec = pod_spec(workload)
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    claims = {c["metadata"]["name"] for c in workload["spec"].get("volumeClaimTemplates", [])}
    for mount in container(workload)["volumeMounts"]:
        assert mount["name"] in volumes or mount["name"] in claims, mount
    mount_paths = [m["mountPath"] for m in container(workload)["volumeMounts"]]
    for path in mount_paths:  # no mount inside another one (a read-only ConfigMap cannot hold a mount point)
        assert not any(path != other and path.startswith(other.rstrip("/") + "/") for other in mount_paths), path
    for volume in volumes.values():
        if "configMap" in volume:
            one("ConfigMap", volume["configMap"]["name"])
        if "secret" in volume and not volume["secret"].get("optional"):
            one("Secret", volume["secret"]["secretName"])
    for variable in container(workload).get("env", []):
        ref = variable.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            secret = one("Secret", ref["name"])
            assert ref["key"] in {**secret.get("data", {}), **secret.get("stringData", {})}


def test_services_select_berth_and_name_its_ports():
    statefulset = one("StatefulSet", "berth")
    labels = statefulset["spec"]["template"]["metadata"]["labels"]
    port_names = {p["name"] for p in container(statefulset)["ports"]}
    services = [o for o in objects() if o["kind"] == "Service"]
    assert services
    for service in services:
        assert service["spec"]["selector"].items() <= labels.items()
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in port_names
    assert statefulset["spec"]["serviceName"] in {s["metadata"]["name"] for s in services}
    nodes = [s for s in services if s["spec"].get("type") == "NodePort"]
    assert all(p["name"] != "metrics" for s in nodes for p in s["spec"]["ports"])  # metrics stay inside


def test_berth_config_agrees_with_the_pod(tmp_path: Path):
    config = berth_config(tmp_path)  # Berth's own loader: every key known, every type right
    statefulset = one("StatefulSet", "berth")
    spec, berth = pod_spec(statefulset), container(statefulset)
    ports = {p["name"]: p["containerPort"] for p in berth["ports"]}
    assert config["http.host"] == "0.0.0.0"
    assert ports["http"] == config["http.port"]
    assert config["metric.enabled"] and ports["metrics"] == config["metric.port"]
    annotations = statefulset["spec"]["template"]["metadata"]["annotations"]
    assert int(annotations["prometheus.io/port"]) == config["metric.port"]
    assert annotations["prometheus.io/path"] == config["metric.path"]
    mounts = {m["mountPath"]: m["name"] for m in berth["volumeMounts"]}
    claims = {c["metadata"]["name"] for c in statefulset["spec"]["volumeClaimTemplates"]}
    assert mounts[config["data_dir"]] in claims  # the data directory is on the persistent volume
    dockerfile = (ROOT / "Dockerfile").read_text()
    uid = int(re.search(r"useradd .*--uid (\d+)", dockerfile)[1])
    assert spec["securityContext"]["runAsUser"] == uid and spec["securityContext"]["fsGroup"] == uid
    assert f"BERTH_DATA_DIR={config['data_dir']}" in dockerfile  # where `berth healthcheck` looks
    assert spec["terminationGracePeriodSeconds"] > config["http.shutdown_timeout"]


def test_the_probes_and_the_scrape_reach_a_real_berth(fresh_berth, tmp_path: Path):
    settings = yaml.safe_load(berth_config_text())
    metrics_port = free_port()
    settings["metric"]["port"] = metrics_port
    del settings["data_dir"], settings["http"]["host"], settings["http"]["port"]  # given as flags instead
    server = fresh_berth(settings=settings)
    statefulset = one("StatefulSet", "berth")
    berth = container(statefulset)
    ports = {p["name"]: p["containerPort"] for p in berth["ports"]}
    local = {ports["http"]: server.port, ports["metrics"]: metrics_port}
    for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
        probe = berth[kind]
        if "httpGet" in probe:
            port = probe["httpGet"]["port"]
            port = local[ports[port] if isinstance(port, str) else port]
            answer = requests.get(f"http://127.0.0.1:{port}{probe['httpGet']['path']}", timeout=5)
            assert 200 <= answer.status_code < 400, (kind, answer.status_code)
        else:
            command = probe["exec"]["command"]
            result = run_in_image_environment(command, server.data_dir)
            assert result.returncode == 0, (kind, result.stderr)
    annotations = statefulset["spec"]["template"]["metadata"]["annotations"]
    scraped = requests.get(f"http://127.0.0.1:{local[int(annotations['prometheus.io/port'])]}"
                           f"{annotations['prometheus.io/path']}", timeout=5)
    names = {f.name for f in text_string_to_metric_families(scraped.text)}
    assert {"berth_http_requests", "harbor_project_total"} <= names


def _agent_invocations(text: str) -> list[list[str]]:
    """Each ``berth agent …`` command in a shell script, with ``$credentials`` as the script sets it."""
    found = []
    for match in re.finditer(r"berth agent ([^;|]+)", text):
        words = shlex.split(match[1].replace("$credentials", '--docker-config "$PULL_SECRET"'))
        found.append(words)
    return found


def test_the_agent_daemonset_runs_commands_the_agent_reads():
    daemonset = one("DaemonSet", "berth-agent")
    agent = container(daemonset)
    script = " ".join(agent["command"][2:] + agent["args"])
    invocations = _agent_invocations(script)
    liveness = agent["livenessProbe"]["exec"]["command"]
    assert liveness[:2] == ["berth", "agent"]
    invocations.append(liveness[2:])
    assert [words[0] for words in invocations] == ["run", "images"]
    mounts = {m["mountPath"]: m["name"] for m in agent["volumeMounts"]}
    volumes = {v["name"]: v for v in pod_spec(daemonset)["volumes"]}
    config = one("ConfigMap", "berth-agent")["data"]
    for words in invocations:
        args = agent_parser().parse_args(words)
        assert args.state == "/var/lib/berth-agent" and volumes[mounts[args.state]]["hostPath"]
        for path in getattr(args, "files", []) + [getattr(args, "daemon_json", None) or ""]:
            if path:
                folder, name = str(PurePosixPath(path).parent), PurePosixPath(path).name
                assert "configMap" in volumes[mounts[folder]] and name in config, path
    pull = re.search(r"\[ -f (\S+) \]", script)[1]
    secret_volume = volumes[mounts[str(PurePosixPath(pull).parent)]]["secret"]
    # The agent reads what it is given with its own readers, and agrees with it.
    daemon = parse_daemon_config(config["daemon.json"], "daemon.json")
    pods = [pod for doc in parse_documents(config["workloads.yaml"], "workloads.yaml")
            for pod in pods_from_document(doc)]
    assert pods
    for pod in pods:
        assert secret_volume["secretName"] in pod.pull_secrets
        for spec in pod.all_containers:
            assert daemon.is_insecure(spec.image.split("/", 1)[0])
            assert spec.image.split("/", 1)[0] == "berth.berth.svc.cluster.local:5000"
    service = one("Service", "berth")
    assert any(p["port"] == 5000 for p in service["spec"]["ports"])
