"""The Docker token flow: challenges, /service/token (GET and OAuth2 POST), token contents."""
from __future__ import annotations

import base64
import hashlib
import time

import jwt
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.auth.conftest import PASSWORD
from tests.conftest import ADMIN
from tests.support.admin import add_user, berth_cli
from tests.support.client import error_codes


def _challenge(response: requests.Response) -> dict[str, str]:
    scheme, _, rest = response.headers["WWW-Authenticate"].partition(" ")
    assert scheme == "Bearer"
    params = {}
    for part in rest.split('",'):
        key, _, value = part.partition("=")
        params[key.strip()] = value.strip('"')
    return params


def _token(secured, scopes: list[str], auth=None, **params) -> requests.Response:
    query = [("service", "harbor-registry")] + [("scope", s) for s in scopes] + list(params.items())
    return requests.get(f"{secured.server.url}/service/token", params=query, auth=auth)


def _public_key(secured):
    cert = x509.load_pem_x509_certificate((secured.server.data_dir / "token.crt").read_bytes())
    return cert.public_key()


def test_base_challenge(secured):
    r = requests.get(f"{secured.server.url}/v2/")
    assert r.status_code == 401
    assert error_codes(r) == ["UNAUTHORIZED"]
    params = _challenge(r)
    assert params["realm"] == f"{secured.server.url}/service/token"
    assert params["service"] == "harbor-registry"
    assert r.headers["Docker-Distribution-API-Version"] == "registry/2.0"


def test_repository_challenge_names_the_scope(secured):
    r = requests.get(f"{secured.server.url}/v2/pub/web/manifests/v1")
    assert r.status_code == 401
    assert _challenge(r)["scope"] == "repository:pub/web:pull"


def test_login_probe_without_credentials_is_refused(secured):
    assert _token(secured, []).status_code == 401


def test_token_response_and_claims(secured):
    before = int(time.time())
    r = _token(secured, ["repository:team/app:pull,push", "repository:pub/web:pull"], auth=("dev", PASSWORD))
    assert r.status_code == 200
    body = r.json()
    assert body["token"] == body["access_token"]
    assert body["expires_in"] == 1800
    assert body["issued_at"].endswith("Z")
    header = jwt.get_unverified_header(body["token"])
    assert header["alg"] == "RS256"
    groups = header["kid"].split(":")
    assert len(groups) == 12 and all(len(g) == 4 for g in groups)
    key = _public_key(secured)
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    expected_kid = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    assert header["kid"].replace(":", "") == expected_kid
    cert_der = base64.b64decode(header["x5c"][0])
    assert x509.load_der_x509_certificate(cert_der).public_key() == key
    claims = jwt.decode(body["token"], key, algorithms=["RS256"], audience="harbor-registry")
    assert claims["iss"] == "harbor-token-issuer" and claims["sub"] == "dev"
    assert before - 5 <= claims["iat"] <= claims["nbf"] + 1 and claims["exp"] - claims["iat"] == 1800
    assert claims["jti"]
    access = {(a["type"], a["name"]): set(a["actions"]) for a in claims["access"]}
    assert access == {("repository", "team/app"): {"pull", "push"}, ("repository", "pub/web"): {"pull"}}


def test_grant_is_the_intersection(secured):
    r = _token(secured, ["repository:team/app:pull,push,delete"], auth=("guest", PASSWORD))
    claims = jwt.decode(r.json()["token"], _public_key(secured), algorithms=["RS256"], audience="harbor-registry")
    assert claims["access"] == [{"type": "repository", "name": "team/app", "actions": ["pull"]}]
    r = _token(secured, ["repository:team/app:pull"], auth=("outsider", PASSWORD))
    claims = jwt.decode(r.json()["token"], _public_key(secured), algorithms=["RS256"], audience="harbor-registry")
    assert claims["access"][0]["actions"] == []


def test_anonymous_token_for_public_pull(secured):
    r = _token(secured, ["repository:pub/web:pull,push", "repository:team/app:pull"])
    assert r.status_code == 200
    claims = jwt.decode(r.json()["token"], _public_key(secured), algorithms=["RS256"], audience="harbor-registry")
    assert claims["sub"] == ""
    access = {a["name"]: a["actions"] for a in claims["access"]}
    assert access == {"pub/web": ["pull"], "team/app": []}


def test_space_separated_scopes_in_one_parameter(secured):
    r = _token(secured, ["repository:pub/web:pull repository:team/app:pull"], auth=("dev", PASSWORD))
    claims = jwt.decode(r.json()["token"], _public_key(secured), algorithms=["RS256"], audience="harbor-registry")
    assert len(claims["access"]) == 2


def test_catalog_scope_only_for_admins(secured):
    for auth, expected in ((ADMIN, ["*"]), (("dev", PASSWORD), [])):
        r = _token(secured, ["registry:catalog:*"], auth=auth)
        claims = jwt.decode(r.json()["token"], _public_key(secured), algorithms=["RS256"], audience="harbor-registry")
        assert claims["access"][0]["actions"] == expected


def test_wrong_password_and_unknown_service(secured):
    assert _token(secured, ["repository:pub/web:pull"], auth=("dev", "wrong-Password-1")).status_code == 401
    r = requests.get(f"{secured.server.url}/service/token", params={"service": "elsewhere", "scope": "x"})
    assert r.status_code == 400


def test_bearer_flow_pull_then_push_refused(secured):
    token = _token(secured, ["repository:team/app:pull"], auth=("dev", PASSWORD)).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    ok = requests.get(f"{secured.server.url}/v2/team/app/manifests/v1", headers=headers)
    assert ok.status_code == 200 and ok.content == secured.team_image.manifest
    push = requests.post(f"{secured.server.url}/v2/team/app/blobs/uploads/", headers=headers)
    assert push.status_code == 401
    params = _challenge(push)
    assert params["error"] == "insufficient_scope"
    assert params["scope"] == "repository:team/app:pull,push"


def test_token_for_one_repository_does_not_open_another(secured):
    token = _token(secured, ["repository:team/app:pull"], auth=("admin", ADMIN[1])).json()["token"]
    r = requests.get(f"{secured.server.url}/v2/other/db/manifests/v1", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert _challenge(r)["error"] == "insufficient_scope"


def test_oauth2_password_and_refresh_grants(secured):
    url = f"{secured.server.url}/service/token"
    r = requests.post(url, data={"grant_type": "password", "username": "dev", "password": PASSWORD,
                                 "service": "harbor-registry", "client_id": "containerd-client",
                                 "scope": "repository:team/app:pull", "access_type": "offline"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["access_token"] and body["scope"] == "repository:team/app:pull" and body["expires_in"] >= 60
    refresh = body["refresh_token"]
    again = requests.post(url, data={"grant_type": "refresh_token", "refresh_token": refresh,
                                     "service": "harbor-registry", "client_id": "c",
                                     "scope": "repository:team/app:pull"})
    assert again.status_code == 200
    token = again.json()["access_token"]
    assert requests.get(f"{secured.server.url}/v2/team/app/manifests/v1",
                        headers={"Authorization": f"Bearer {token}"}).status_code == 200
    # A refresh token is not an access token.
    assert requests.get(f"{secured.server.url}/v2/team/app/manifests/v1",
                        headers={"Authorization": f"Bearer {refresh}"}).status_code == 401
    bad = requests.post(url, data={"grant_type": "password", "username": "dev", "password": "nope-Nope-1",
                                   "service": "harbor-registry", "client_id": "c"})
    assert bad.status_code == 401
    unknown = requests.post(url, data={"grant_type": "authorization_code", "service": "harbor-registry"})
    assert unknown.status_code == 400


def test_get_never_hands_out_a_refresh_token(secured):
    """docker login asks with offline_token=true: a password, not an identity token, must end up in config.json."""
    for scopes in ([], ["repository:team/app:pull"]):
        r = _token(secured, scopes, auth=("dev", PASSWORD), offline_token="true", client_id="docker")
        assert r.status_code == 200 and r.json()["token"]
        assert "refresh_token" not in r.json()


def test_refresh_tokens_only_for_offline_access(secured):
    url = f"{secured.server.url}/service/token"
    form = {"grant_type": "password", "username": "dev", "password": PASSWORD, "service": "harbor-registry",
            "client_id": "c", "scope": "repository:team/app:pull"}
    assert "refresh_token" not in requests.post(url, data=form).json()
    refresh = requests.post(url, data={**form, "access_type": "offline"}).json()["refresh_token"]
    # An identity token docker already keeps goes on working through the refresh grant.
    renewed = requests.post(url, data={"grant_type": "refresh_token", "refresh_token": refresh,
                                       "service": "harbor-registry", "client_id": "docker",
                                       "scope": "repository:team/app:pull"})
    assert renewed.status_code == 200 and "refresh_token" not in renewed.json()


@pytest.mark.parametrize("header", ["Basic !!!", "Basic " + base64.b64encode(b"nocolon").decode(), "Digest x",
                                    "Bearer", "Bearer not.a.jwt"])
def test_malformed_authorization(secured, header):
    r = requests.get(f"{secured.server.url}/v2/", headers={"Authorization": header})
    assert r.status_code == 401 and error_codes(r) == ["UNAUTHORIZED"]


def test_a_password_change_ends_refresh_tokens(secured):
    url = f"{secured.server.url}/service/token"
    name = "changer"
    add_user(secured.server, name, PASSWORD)
    form = {"grant_type": "password", "username": name, "password": PASSWORD, "service": "harbor-registry",
            "client_id": "c", "access_type": "offline"}
    refresh = requests.post(url, data=form).json()["refresh_token"]
    grant = {"grant_type": "refresh_token", "refresh_token": refresh, "service": "harbor-registry", "client_id": "c"}
    assert requests.post(url, data=grant).status_code == 200
    berth_cli(secured.server, "user", "passwd", name, "--password-stdin", stdin="Another-Pass-2\n")
    refused = requests.post(url, data=grant)
    assert refused.status_code == 401 and "changed" in refused.text
    form["password"] = "Another-Pass-2"
    fresh = requests.post(url, data=form).json()["refresh_token"]
    assert requests.post(url, data={**grant, "refresh_token": fresh}).status_code == 200
