"""Forged, stale and misused credentials are all refused; failures slow down and are audited."""
from __future__ import annotations

import base64
import json
import sqlite3
import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.auth.conftest import PASSWORD


def _signing_key(secured):
    with sqlite3.connect(secured.server.data_dir / "berth.db") as db:
        pem = db.execute("SELECT value FROM secrets WHERE name = 'token-key'").fetchone()[0]
    return serialization.load_pem_private_key(pem.encode(), password=None)


def _claims(**overrides) -> dict:
    now = int(time.time())
    claims = {"iss": "harbor-token-issuer", "sub": "admin", "aud": "harbor-registry", "exp": now + 600,
              "nbf": now - 10, "iat": now - 10, "jti": "x" + str(now),
              "access": [{"type": "repository", "name": "team/app", "actions": ["pull", "push"]}]}
    claims.update(overrides)
    return claims


def _get(secured, token: str, path: str = "/v2/team/app/manifests/v1") -> requests.Response:
    return requests.get(f"{secured.server.url}{path}", headers={"Authorization": f"Bearer {token}"})


def test_a_correct_forgery_baseline_is_accepted(secured):
    """The harness signs like the server: without this, the refusals below would prove nothing."""
    token = jwt.encode(_claims(), _signing_key(secured), algorithm="RS256")
    assert _get(secured, token).status_code == 200


@pytest.mark.parametrize("overrides", [
    {"exp": int(time.time()) - 3600},
    {"nbf": int(time.time()) + 3600},
    {"aud": "another-registry"},
    {"iss": "someone-else"},
    {"access": [{"type": "repository", "name": "other/db", "actions": ["pull"]}]},
])
def test_bad_claims(secured, overrides):
    token = jwt.encode(_claims(**overrides), _signing_key(secured), algorithm="RS256")
    r = _get(secured, token)
    assert r.status_code == 401
    assert "error=" in r.headers["WWW-Authenticate"]


def test_signed_by_another_key(secured):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    real_kid = jwt.get_unverified_header(
        requests.get(f"{secured.server.url}/service/token", params={"scope": "repository:pub/web:pull"}).json()["token"]
    )["kid"]
    token = jwt.encode(_claims(), stranger, algorithm="RS256", headers={"kid": real_kid})
    assert _get(secured, token).status_code == 401


def test_alg_none(secured):
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=")
    body = base64.urlsafe_b64encode(json.dumps(_claims()).encode()).rstrip(b"=")
    token = (header + b"." + body + b".").decode()
    assert _get(secured, token).status_code == 401


def test_hs256_with_the_public_key_as_secret(secured):
    public_pem = _signing_key(secured).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()).rstrip(b"=")
    body = base64.urlsafe_b64encode(json.dumps(_claims()).encode()).rstrip(b"=")
    import hashlib
    import hmac
    signature = base64.urlsafe_b64encode(hmac.new(public_pem, header + b"." + body, hashlib.sha256).digest()).rstrip(b"=")
    assert _get(secured, (header + b"." + body + b"." + signature).decode()).status_code == 401


def test_pull_token_cannot_push(secured):
    token = jwt.encode(_claims(access=[{"type": "repository", "name": "team/app", "actions": ["pull"]}]),
                       _signing_key(secured), algorithm="RS256")
    r = requests.post(f"{secured.server.url}/v2/team/app/blobs/uploads/", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and 'error="insufficient_scope"' in r.headers["WWW-Authenticate"]


def test_tampered_token(secured):
    token = requests.get(f"{secured.server.url}/service/token", params={"scope": "repository:pub/web:pull"},
                         auth=("dev", PASSWORD)).json()["token"]
    head, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["access"] = [{"type": "repository", "name": "team/app", "actions": ["pull", "push", "delete"]}]
    forged_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert _get(secured, f"{head}.{forged_body}.{sig}").status_code == 401


def test_failed_logins_back_off_and_are_audited(secured):
    url = f"{secured.server.url}/service/token"
    codes = [requests.get(url, params={"scope": "repository:pub/web:pull"}, auth=("victim", f"Wrong-{i}x")).status_code
             for i in range(7)]
    assert codes[:5] == [401] * 5
    assert 429 in codes[5:]
    blocked = requests.get(url, params={"scope": "repository:pub/web:pull"}, auth=("victim", PASSWORD))
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
    time.sleep(3)  # audit entries are written in batches
    with sqlite3.connect(secured.server.data_dir / "berth.db") as db:
        failures = db.execute("SELECT COUNT(*) FROM audit_log WHERE operation = 'login_failed' AND username = 'victim'"
                              ).fetchone()[0]
    assert failures >= 5


def test_secrets_never_reach_the_log(secured):
    token = requests.get(f"{secured.server.url}/service/token", params={"scope": "repository:team/app:pull"},
                         auth=("dev", PASSWORD)).json()["token"]
    _get(secured, token)
    log = secured.server.log_path.read_text()
    assert PASSWORD not in log
    assert token not in log
    assert secured.robots["teambot"]["secret"] not in log
