"""Pull records (KEP-2535): who pulled each present image, kept across restarts."""
from __future__ import annotations

import pytest

from registry.agent.errors import InputError
from registry.agent.keyring import Credential, SecretRef
from registry.agent.pull_records import PullRecords, VerificationPolicy
from registry.oci.reference import ImageReference

REF = ImageReference.parse("reg.example:5000/team/app:v1")
ID = "sha256:" + "a" * 64
OWNER = Credential("u", "p", secret=SecretRef("team", "regcred", "uid-1"))


def test_a_secrets_pull_is_for_holders_of_that_credential_and_survives_a_restart(tmp_path):
    PullRecords(tmp_path).pulled(REF, ID, OWNER)
    records = PullRecords(tmp_path)
    assert records.must_pull(REF, ID, []) is True
    assert records.must_pull(REF, ID, [Credential("u", "other", secret=SecretRef("team", "regcred", "uid-1"))]) is True
    assert records.must_pull(REF, ID, [Credential("u", "p")]) is True  # the node's credential is not the pod's Secret
    copy = Credential("u", "p", secret=SecretRef("other-ns", "copy", "uid-2"))
    assert records.must_pull(REF, ID, [copy]) is False
    assert {s["name"] for s in PullRecords(tmp_path)._images[ID][REF.name]["secrets"]} == {"regcred", "copy"}
    assert records.must_pull(ImageReference.parse("reg.example:5000/team/other:v1"), ID, [OWNER]) is True


def test_anonymous_and_node_pulls_are_for_every_pod(tmp_path):
    records = PullRecords(tmp_path)
    records.pulled(REF, ID, None)
    assert records.must_pull(REF, ID, []) is False
    other = "sha256:" + "b" * 64
    records.pulled(REF, other, Credential("node", "pw"))
    assert PullRecords(tmp_path).must_pull(REF, other, []) is False


@pytest.mark.parametrize("policy, allowlist, expected", [
    (VerificationPolicy.NEVER_VERIFY_PRELOADED, (), False),
    (VerificationPolicy.NEVER_VERIFY_ALLOWLISTED, ("reg.example:5000/team/*",), False),
    (VerificationPolicy.NEVER_VERIFY_ALLOWLISTED, ("reg.example:5000/team/app",), False),
    (VerificationPolicy.NEVER_VERIFY_ALLOWLISTED, ("reg.example:5000/team/ap",), True),
    (VerificationPolicy.ALWAYS_VERIFY, (), True),
    (VerificationPolicy.NEVER_VERIFY, (), False),
])
def test_images_without_records_follow_the_policy(tmp_path, policy, allowlist, expected):
    assert PullRecords(tmp_path, policy, allowlist).must_pull(REF, ID, []) is expected


def test_never_verify_ignores_records(tmp_path):
    PullRecords(tmp_path).pulled(REF, ID, OWNER)
    assert PullRecords(tmp_path, VerificationPolicy.NEVER_VERIFY).must_pull(REF, ID, []) is False


def test_forget_and_broken_files(tmp_path):
    records = PullRecords(tmp_path)
    records.pulled(REF, ID, OWNER)
    records.forget(ID)
    assert PullRecords(tmp_path, VerificationPolicy.ALWAYS_VERIFY).must_pull(REF, ID, [OWNER]) is True
    (tmp_path / "pulled-images.json").write_text("{not json")
    with pytest.raises(InputError, match="pull records"):
        PullRecords(tmp_path)
