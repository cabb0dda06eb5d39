"""Image references and pull-policy defaulting, as tables from Kubernetes' own rules."""
from __future__ import annotations

import pytest

from registry.agent.policy import PullPolicy, default_pull_policy, should_pull
from registry.oci.reference import ImageReference, ReferenceError

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize("image, policy", [
    ("nginx", PullPolicy.ALWAYS),
    ("nginx:latest", PullPolicy.ALWAYS),
    ("nginx:1.25", PullPolicy.IF_NOT_PRESENT),
    (f"nginx@{DIGEST}", PullPolicy.IF_NOT_PRESENT),
    (f"nginx:latest@{DIGEST}", PullPolicy.ALWAYS),
    ("nginx:Latest", PullPolicy.IF_NOT_PRESENT),
    ("192.168.30.15/gxs-project/nginx:111", PullPolicy.IF_NOT_PRESENT),
    ("myreg:5000/team/app", PullPolicy.ALWAYS),
    ("UPPER/case", PullPolicy.IF_NOT_PRESENT),  # unparsable
    ("", PullPolicy.IF_NOT_PRESENT),
])
def test_default_pull_policy(image, policy):
    assert default_pull_policy(image) is policy


@pytest.mark.parametrize("policy, present, pull", [
    (PullPolicy.ALWAYS, True, True), (PullPolicy.ALWAYS, False, True),
    (PullPolicy.IF_NOT_PRESENT, True, False), (PullPolicy.IF_NOT_PRESENT, False, True),
    (PullPolicy.NEVER, True, False), (PullPolicy.NEVER, False, False),
])
def test_should_pull(policy, present, pull):
    assert should_pull(policy, present) is pull


@pytest.mark.parametrize("text, name, tag, digest, familiar", [
    ("nginx", "docker.io/library/nginx", None, None, "nginx"),
    ("nginx:1.14", "docker.io/library/nginx", "1.14", None, "nginx:1.14"),
    ("index.docker.io/library/nginx", "docker.io/library/nginx", None, None, "nginx"),
    ("docker.io/team/app:v1", "docker.io/team/app", "v1", None, "team/app:v1"),
    ("localhost/app", "localhost/app", None, None, "localhost/app"),
    ("myreg:5000/team/app:v1", "myreg:5000/team/app", "v1", None, "myreg:5000/team/app:v1"),
    ("192.168.30.15/gxs-project/nginx:111", "192.168.30.15/gxs-project/nginx", "111", None,
     "192.168.30.15/gxs-project/nginx:111"),
    (f"reg.example.com/a/b/c@{DIGEST}", "reg.example.com/a/b/c", None, DIGEST, f"reg.example.com/a/b/c@{DIGEST}"),
    ("[::1]:5000/app:v2", "[::1]:5000/app", "v2", None, "[::1]:5000/app:v2"),
])
def test_parse_and_normalise(text, name, tag, digest, familiar):
    ref = ImageReference.parse(text)
    assert (ref.name, ref.tag, ref.digest, ref.familiar()) == (name, tag, digest, familiar)


@pytest.mark.parametrize("text", ["", "Nginx", "nginx:", "a" * 64, "reg:5000/App", "nginx@sha256:abc", "-x/y",
                                  "nginx:" + "t" * 200])
def test_invalid_references(text):
    with pytest.raises(ReferenceError):
        ImageReference.parse(text)


def test_default_tag_is_added_without_touching_digests():
    assert str(ImageReference.parse("nginx").with_default_tag()) == "docker.io/library/nginx:latest"
    assert ImageReference.parse(f"nginx@{DIGEST}").with_default_tag().tag is None
