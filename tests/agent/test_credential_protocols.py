"""The kubelet credential provider plugin and the Docker credential helper, spoken to
over standard input and output as kubelet and docker do."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

API = "credentialprovider.kubelet.k8s.io/v1"


def provider(stdin: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "registry.agent", "credential-provider", *args],
                          input=stdin, capture_output=True, text=True)


def request(image: str, api: str = API) -> str:
    return json.dumps({"apiVersion": api, "kind": "CredentialProviderRequest", "image": image})


@pytest.fixture
def secrets(kubectl_secret):
    return [kubectl_secret("harbor", "192.168.30.15", "admin", "Harbor12345"),
            kubectl_secret("team", "192.168.30.15/team", "robot$team", "t0ken"),
            kubectl_secret("hub", "https://index.docker.io/v1/", "hubuser", "hubpass")]


def test_provider_answers_with_every_matching_key(secrets):
    args = [arg for path in secrets for arg in ("--secret", str(path))]
    done = provider(request("192.168.30.15/team/nginx:111"), *args, "--cache-duration", "10m")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "apiVersion": API, "kind": "CredentialProviderResponse", "cacheKeyType": "Image", "cacheDuration": "10m",
        "auth": {"192.168.30.15/team": {"username": "robot$team", "password": "t0ken"},
                 "192.168.30.15": {"username": "admin", "password": "Harbor12345"}}}
    assert list(json.loads(done.stdout)["auth"]) == ["192.168.30.15/team", "192.168.30.15"]
    hub = json.loads(provider(request("nginx:1.14", "credentialprovider.kubelet.k8s.io/v1beta1"), *args).stdout)
    assert hub["apiVersion"].endswith("v1beta1")
    assert hub["auth"] == {"index.docker.io": {"username": "hubuser", "password": "hubpass"}}
    assert json.loads(provider(request("quay.io/x/y"), *args).stdout)["auth"] == {}


@pytest.mark.parametrize("stdin, message", [
    ("not json", "CredentialProviderRequest: not valid JSON"),
    (request("x", "credentialprovider.kubelet.k8s.io/v9"), "apiVersion: unsupported apiVersion"),
    (json.dumps({"apiVersion": API, "kind": "Other", "image": "x"}), "kind: must be CredentialProviderRequest"),
    (json.dumps({"apiVersion": API, "kind": "CredentialProviderRequest"}), "image: required string"),
    (request("Bad/Image"), "image: invalid reference format"),
])
def test_provider_rejects_bad_requests(stdin, message):
    done = provider(stdin)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


@pytest.fixture
def credential_helper(tmp_path):
    env = {**os.environ, "BERTH_CREDENTIALS_FILE": str(tmp_path / "creds" / "store.json")}

    def run(action: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "registry.agent.credential_helper", action], input=stdin,
                              capture_output=True, text=True, env=env)

    run.path = tmp_path / "creds" / "store.json"
    return run


def test_credential_helper_store_get_list_erase(credential_helper):
    entry = {"ServerURL": "https://192.168.30.15", "Username": "admin", "Secret": "Harbor12345"}
    assert credential_helper("store", json.dumps(entry)).returncode == 0
    assert stat.S_IMODE(credential_helper.path.stat().st_mode) == 0o600
    assert json.loads(credential_helper("get", "https://192.168.30.15\n").stdout) == entry
    assert json.loads(credential_helper("get", "192.168.30.15").stdout)["Secret"] == "Harbor12345"
    token = {"ServerURL": "https://index.docker.io/v1/", "Username": "<token>", "Secret": "refresh"}
    assert credential_helper("store", json.dumps(token)).returncode == 0
    assert json.loads(credential_helper("list").stdout) == {"https://192.168.30.15": "admin",
                                                 "https://index.docker.io/v1/": "<token>"}
    assert credential_helper("erase", "https://192.168.30.15").returncode == 0
    missing = credential_helper("get", "https://192.168.30.15")
    assert missing.returncode == 1 and missing.stdout.strip() == "credentials not found in native keychain"
    assert credential_helper("version").stdout.startswith("docker-credential-berth")


@pytest.mark.parametrize("action, stdin, message", [
    ("get", "", "no credentials server URL"),
    ("store", json.dumps({"ServerURL": "", "Username": "u", "Secret": "s"}), "no credentials server URL"),
    ("store", json.dumps({"ServerURL": "reg.io", "Username": "", "Secret": "s"}), "no credentials username"),
    ("store", "{", "error reading credentials from stdin"),
    ("erase", "reg.io", "credentials not found in native keychain"),
    ("frobnicate", "", "Unknown credential action `frobnicate`"),
])
def test_credential_helper_errors_go_to_stdout_with_status_1(credential_helper, action, stdin, message):
    done = credential_helper(action, stdin)
    assert done.returncode == 1 and message in done.stdout and done.stderr == ""
