"""Pull Secrets as kubectl writes them, and ``create-secret`` writing them byte for byte."""
from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys

import pytest

from registry.agent.cli import main
from registry.agent.documents import parse_documents
from registry.agent.errors import InputError
from registry.oci.reference import ImageReference
from registry.agent.secrets import SecretPool, parse_secret

def kubectl(*args: str) -> str:
    if shutil.which("kubectl") is None:
        pytest.fail("kubectl is needed to make Secrets exactly as Kubernetes users do")
    return subprocess.run(["kubectl", "create", "secret", "docker-registry", *args, "--dry-run=client", "-o", "yaml"],
                          check=True, capture_output=True, text=True).stdout


def users(pool: SecretPool, namespace: str, name: str, image: str) -> list[tuple[str, str]]:
    keyring, missing = pool.keyring_for(namespace, (name,))
    assert not missing
    return [(c.username, c.password) for c in keyring.lookup(ImageReference.parse(image))]


@pytest.mark.parametrize("server, image", [
    ("192.168.30.15", "192.168.30.15/gxs-project/nginx:111"),
    ("https://index.docker.io/v1/", "nginx:1.14"),
    ("http://harbor.local:8443/v2/", "harbor.local:8443/p/app"),
])
def test_kubectl_secret_is_understood(server, image):
    text = kubectl("harbor-pull-secret", f"--docker-server={server}", "--docker-username=admin",
                   "--docker-password=Harbor:12345", "--docker-email=a@b.c", "-n", "team")
    pool = SecretPool()
    pool.add_documents(parse_documents(text, "secret.yaml"))
    assert users(pool, "team", "harbor-pull-secret", image) == [("admin", "Harbor:12345")]
    assert pool.keyring_for("default", ("harbor-pull-secret",))[1] == ["harbor-pull-secret"]


@pytest.mark.parametrize("extra", [[], ["--docker-email=ops@example.com"], ["-n", "team-a"],
                                   ["--docker-server=127.0.0.1:5000", "-n", "x.y"]])
@pytest.mark.parametrize("user, password", [("admin", "Harbor12345"), ("robot$ci", 'p<a>s&s"w\\ord é'),
                                            ("u", "colon:inside")])
def test_create_secret_matches_kubectl_byte_for_byte(extra, user, password, capsysbinary):
    args = ["pull-secret", f"--docker-username={user}", f"--docker-password={password}", *extra]
    assert main(["create-secret", *args]) == 0
    assert capsysbinary.readouterr().out == kubectl(*args).encode()


def test_create_secret_rejects_bad_names():
    done = subprocess.run([sys.executable, "-m", "registry.agent", "create-secret", "Bad_Name",
                           "--docker-username=u", "--docker-password=p"], capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr and "'Bad_Name'" in done.stderr


def secret_doc(body: dict, source: str = "s.yaml"):
    return parse_documents(json.dumps(body), source)[0]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_string_data_username_password_and_legacy_dockercfg():
    modern = secret_doc({"kind": "Secret", "metadata": {"name": "a"}, "type": "kubernetes.io/dockerconfigjson",
                         "stringData": {".dockerconfigjson": json.dumps(
                             {"auths": {"reg.io": {"username": "u", "password": "p"}}})}})
    legacy = secret_doc({"kind": "Secret", "metadata": {"name": "b", "namespace": "ns"},
                         "type": "kubernetes.io/dockercfg",
                         "data": {".dockercfg": b64(json.dumps({"reg.io": {"auth": b64("x:y").rstrip("=")}}))}})
    pool = SecretPool()
    pool.add_documents([modern, legacy])
    assert users(pool, "default", "a", "reg.io/app") == [("u", "p")]
    assert users(pool, "ns", "b", "reg.io/app") == [("x", "y")]


def test_auth_field_overrides_username_and_password():
    doc = secret_doc({"kind": "Secret", "metadata": {"name": "a"}, "type": "kubernetes.io/dockerconfigjson",
                      "data": {".dockerconfigjson": b64(json.dumps(
                          {"auths": {"reg.io": {"username": "u", "password": "p", "auth": b64("real:pw")}}}))}})
    assert [(c.username, c.password) for c in parse_secret(doc).keyring.lookup(ImageReference.parse("reg.io/a"))] \
        == [("real", "pw")]


def test_secret_of_another_type_carries_no_credentials():
    doc = secret_doc({"kind": "Secret", "metadata": {"name": "a"}, "type": "Opaque",
                      "data": {".dockerconfigjson": b64(json.dumps({"auths": {"reg.io": {"auth": b64("u:p")}}}))}})
    assert not parse_secret(doc).keyring


@pytest.mark.parametrize("body, field, message", [
    ({"kind": "Secret", "type": "kubernetes.io/dockerconfigjson"}, "metadata.name", "required string"),
    ({"kind": "Secret", "metadata": {"name": "s"}, "type": "kubernetes.io/dockerconfigjson",
      "data": {".dockerconfigjson": "not base64!"}}, "data[.dockerconfigjson]", "not valid base64"),
    ({"kind": "Secret", "metadata": {"name": "s"}, "type": "kubernetes.io/dockerconfigjson",
      "data": {".dockerconfigjson": b64("{nope")}}, "data[.dockerconfigjson]", "not valid JSON"),
    ({"kind": "Secret", "metadata": {"name": "s"}, "type": "kubernetes.io/dockerconfigjson",
      "data": {".dockerconfigjson": b64(json.dumps({"auths": {"reg.io": {"auth": b64("nocolon")}}}))}},
     "data[.dockerconfigjson].auths['reg.io'].auth", "must be formatted as base64(username:password)"),
    ({"kind": "Secret", "metadata": {"name": "s"}, "type": "kubernetes.io/dockerconfigjson",
      "stringData": {".dockerconfigjson": json.dumps({"auths": {"reg.io": "x"}})}},
     "stringData[.dockerconfigjson].auths['reg.io']", "must be a JSON object"),
    ({"kind": "Secret", "metadata": {"name": "s"}, "type": "kubernetes.io/dockercfg",
      "data": {".dockercfg": b64("[]")}}, "data[.dockercfg]", "must be a JSON object"),
])
def test_malformed_secrets_name_file_document_and_field(body, field, message):
    doc = parse_documents("kind: ConfigMap\n---\n" + json.dumps(body), "pull-secret.yaml")[1]
    with pytest.raises(InputError) as caught:
        parse_secret(doc)
    assert caught.value.field == field and message in caught.value.message
    assert str(caught.value).startswith(f"pull-secret.yaml: document 2: {field}: ")


def test_walkthrough_secret_with_two_registries():
    """The walkthrough's Secret: a config.json pasted as base64, entries with only ``auth``."""
    config = '{\n\t"auths": {\n\t\t"192.168.80.14": {\n\t\t\t"auth": "YWRtaW46SGFyYm9yMTIzNDU="\n\t\t},\n' \
             '\t\t"hub.gxd.com": {\n\t\t\t"auth": "YWRtaW46SGFyYm9yMTIzNDU="\n\t\t}\n\t}\n}'
    text = f"""apiVersion: v1
kind: Secret
metadata:
  name: harbor-pull-secret
data:
  .dockerconfigjson: {b64(config)}
type: kubernetes.io/dockerconfigjson
"""
    pool = SecretPool()
    pool.add_documents(parse_documents(text, "harbor-pull-secret.yaml"))
    assert users(pool, "default", "harbor-pull-secret", "hub.gxd.com/p/nginx") == [("admin", "Harbor12345")]
    assert users(pool, "default", "harbor-pull-secret", "192.168.80.14/p/nginx:111") == [("admin", "Harbor12345")]


def _secret_with(entry: dict) -> SecretPool:
    config = json.dumps({"auths": {"reg.example:5000": entry}})
    pool = SecretPool()
    pool.add_documents(parse_documents(json.dumps({
        "kind": "Secret", "metadata": {"name": "regcred", "namespace": "team"},
        "type": "kubernetes.io/dockerconfigjson", "data": {".dockerconfigjson": b64(config)}}), "s.json"))
    return pool


@pytest.mark.parametrize("entry", [{"auth": b64("admin:"), "identitytoken": "eyJ..."},
                                   {"username": "admin", "identitytoken": "eyJ..."}])
def test_identity_token_without_password_carries_its_explanation(entry):
    keyring, _ = _secret_with(entry).keyring_for("team", ("regcred",))
    [credential] = keyring.lookup(ImageReference.parse("reg.example:5000/p/app"))
    assert (credential.username, credential.password) == ("admin", "")
    assert credential.problem == (
        "the credentials for reg.example:5000 in secret team/regcred hold only an identity token from "
        "`docker login`, which the kubelet cannot use; recreate the Secret with `kubectl create secret "
        "docker-registry regcred --docker-server=reg.example:5000 --docker-username=admin "
        "--docker-password=<password>`")


def test_identity_token_beside_a_password_is_no_problem():
    keyring, _ = _secret_with({"auth": b64("admin:Harbor12345"), "identitytoken": "eyJ..."}).keyring_for(
        "team", ("regcred",))
    [credential] = keyring.lookup(ImageReference.parse("reg.example:5000/p/app"))
    assert credential.password == "Harbor12345" and credential.problem == ""
