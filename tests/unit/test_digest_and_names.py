"""Digests, repository names, tags and references."""
from __future__ import annotations

import hashlib

import pytest

from registry.oci.digest import Digest, DigestError, digest_of
from registry.core.errors import RegistryError
from registry.core.names import parse_digest, project_of, split_reference, validate_name, validate_tag


def test_digest_round_trip():
    text = "sha256:" + "a" * 64
    assert str(Digest.parse(text)) == text
    assert digest_of(b"abc") == Digest("sha256", hashlib.sha256(b"abc").hexdigest())
    assert digest_of(b"abc", "sha512").hex == hashlib.sha512(b"abc").hexdigest()


@pytest.mark.parametrize("text", [
    "", "sha256", "sha256:", "sha256:" + "a" * 63, "sha256:" + "A" * 64, "md5:" + "a" * 32,
    "sha512:" + "a" * 64, "sha256:" + "a" * 64 + "/../x", ":abc",
])
def test_bad_digests(text):
    with pytest.raises(DigestError):
        Digest.parse(text)
    with pytest.raises(RegistryError) as info:
        parse_digest(text)
    assert info.value.code == "DIGEST_INVALID"


@pytest.mark.parametrize("name", ["a", "library/nginx", "a.b/c_d/e__f/g-h--i", "gxs-project/nginx", "x" * 255])
def test_good_names(name):
    assert validate_name(name) == name


@pytest.mark.parametrize("name", ["", "A", "a/", "/a", "a//b", "a/../b", "..", "a_", "x" * 256, "a b", "a\\b"])
def test_bad_names(name):
    with pytest.raises(RegistryError) as info:
        validate_name(name)
    assert info.value.code == "NAME_INVALID"


@pytest.mark.parametrize("tag,ok", [("latest", True), ("v1.0_rc-1", True), ("_x", True), ("a" * 128, True),
                                    ("a" * 129, False), ("-x", False), (".x", False), ("a/b", False), ("", False)])
def test_tags(tag, ok):
    if ok:
        assert validate_tag(tag) == tag
    else:
        with pytest.raises(RegistryError):
            validate_tag(tag)


def test_references():
    assert split_reference("v1") == ("v1", None)
    tag, digest = split_reference("sha256:" + "b" * 64)
    assert tag is None and digest.hex == "b" * 64


def test_project_of():
    assert project_of("gxs-project/nginx") == "gxs-project"
    assert project_of("a/b/c") == "a"
    assert project_of("solo") == "solo"
