"""Credential matching like the kubelet's keyring, and daemon.json's registry settings."""
from __future__ import annotations

import pytest

from registry.agent.daemon_config import DaemonConfig, parse_daemon_config
from registry.agent.errors import InputError
from registry.agent.keyring import Credential, Keyring, key_matches, normalize_key, union_lookup
from registry.oci.reference import ImageReference


@pytest.mark.parametrize("server, key", [
    ("https://index.docker.io/v1/", "index.docker.io"),
    ("192.168.30.15", "192.168.30.15"),
    ("http://192.168.30.15", "192.168.30.15"),
    ("myreg:5000", "myreg:5000"),
    ("https://myreg:5000/v2/", "myreg:5000"),
    ("my-registry.io/images", "my-registry.io/images"),
    ("*.my-registry.io/v1/foo", "*.my-registry.io/foo"),
    ("", None),
    ("https://bad:port", None),
])
def test_normalize_key(server, key):
    assert normalize_key(server) == key


@pytest.mark.parametrize("key, image, matches", [
    ("*.kubernetes.io", "kubernetes.io/x", False),
    ("*.kubernetes.io", "abc.kubernetes.io/x", True),
    ("*.*.kubernetes.io", "abc.kubernetes.io/x", False),
    ("prefix.*.io", "prefix.kubernetes.io/x", True),
    ("*-good.kubernetes.io", "prefix-good.kubernetes.io/x", True),
    ("my-registry.io/images", "my-registry.io/images", True),
    ("my-registry.io/images", "my-registry.io/images/my-image", True),
    ("*.my-registry.io/images", "sub.my-registry.io/images/my-image", True),
    ("*.my-registry.io/images", "a.sub.my-registry.io/images/my-image", False),
    ("my-registry.io/images", "my-registry.io/other/my-image", False),
    ("reg:5000", "reg/x", False),
    ("reg", "reg:5000/x", False),
    ("reg:5000", "reg:5000/x", True),
    ("reg:443", "reg/x", False),
    ("docker.io", "docker.io/library/nginx", True),
])
def test_urls_match(key, image, matches):
    assert key_matches(key, image) is matches


def cred(name: str) -> Credential:
    return Credential(name, f"{name}-password", source=name)


def test_lookup_is_most_specific_first_and_collects_every_match():
    keyring = Keyring()
    keyring.add("*.example.com", cred("glob"))
    keyring.add("registry.example.com/team", cred("team"))
    keyring.add("registry.example.com", cred("host"))
    keyring.add("registry.example.com", cred("host2"))
    keyring.add("other.io", cred("other"))
    found = keyring.lookup(ImageReference.parse("registry.example.com/team/app:v1"))
    assert [c.username for c in found] == ["team", "host", "host2", "glob"]
    assert [c.username for c in keyring.lookup(ImageReference.parse("registry.example.com/else/app"))] == [
        "host", "host2", "glob"]
    assert keyring.lookup(ImageReference.parse("elsewhere.io/app")) == []


def test_docker_hub_images_fall_back_to_the_index_key():
    keyring = Keyring()
    keyring.add("https://index.docker.io/v1/", cred("hub"))
    for image in ("nginx", "team/app", "docker.io/team/app", "index.docker.io/library/busybox:1.28"):
        assert [c.username for c in keyring.lookup(ImageReference.parse(image))] == ["hub"]
    assert keyring.lookup(ImageReference.parse("quay.io/team/app")) == []


def test_pod_secrets_come_before_the_node_keyring():
    pod, node = Keyring(), Keyring()
    pod.add("reg.example.com", cred("pod"))
    node.add("reg.example.com", cred("node"))
    found = union_lookup(ImageReference.parse("reg.example.com/app"), [pod, node])
    assert [c.username for c in found] == ["pod", "node"]


def test_credentials_never_show_passwords():
    assert "password" not in repr(cred("u")).replace("username", "")


def test_daemon_json_insecure_registries_and_mirrors():
    config = parse_daemon_config("""{
      "registry-mirrors": ["https://6ijb8ubo.mirror.aliyuncs.com/"],
      "insecure-registries": ["192.168.30.15", "harbor.local:8443", "10.20.0.0/16"],
      "log-driver": "json-file"}""", "daemon.json")
    assert config.mirrors == ("https://6ijb8ubo.mirror.aliyuncs.com",)
    assert config.is_insecure("192.168.30.15")
    assert not config.is_insecure("192.168.30.15:5000")
    assert config.is_insecure("harbor.local:8443") and not config.is_insecure("harbor.local")
    assert config.is_insecure("10.20.3.4:5000") and not config.is_insecure("10.21.0.1")
    assert config.is_insecure("127.0.0.1:5000") and config.is_insecure("localhost:5000")
    assert config.is_insecure("[::1]:5000")
    assert not DaemonConfig().is_insecure("registry.example.com")


@pytest.mark.parametrize("text, field", [
    ('{"insecure-registries": "x"}', "insecure-registries"),
    ('{"insecure-registries": ["http://x"]}', "insecure-registries[0]"),
    ('{"insecure-registries": ["10.0.0.0/99"]}', "insecure-registries[0]"),
    ('{"registry-mirrors": ["ftp://m"]}', "registry-mirrors[0]"),
    ('{"registry-mirrors": [1]}', "registry-mirrors[0]"),
])
def test_daemon_json_errors_name_the_field(text, field):
    with pytest.raises(InputError) as caught:
        parse_daemon_config(text, "/etc/docker/daemon.json")
    assert caught.value.field == field and str(caught.value).startswith(f"/etc/docker/daemon.json: {field}: ")


def test_daemon_json_not_json():
    with pytest.raises(InputError, match="daemon.json: not valid JSON"):
        parse_daemon_config("{", "daemon.json")
