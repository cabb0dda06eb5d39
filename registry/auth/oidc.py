"""Sign-in with an OpenID Connect provider: the browser's authorization-code flow (with
PKCE, state and nonce), and CLI secrets for docker, podman and helm, which cannot follow
a browser flow.

A CLI secret stands for the user only while the provider still does: when what the
provider said is older than ``auth.provider_refresh_seconds``, the next use redeems the
user's refresh token (``offline_access``). A user removed or disabled at the provider,
or whose refresh token it revoked, is refused from then on.

The pending sign-in (state, nonce, PKCE verifier) travels in a short-lived signed cookie,
so any Berth process can finish a sign-in another one started.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp
import jwt

from registry.core.errors import RegistryError
from registry.core.external_users import ExternalIdentity, refused
from registry.core.identity_settings import oidc_on
from registry.core.rbac import Principal
from registry.core.records import UserRecord
from registry.core.services import Services

log = logging.getLogger("berth.identity")
PENDING_LIFETIME = 600
DISCOVERY_LIFETIME = 3600
TIMEOUT = aiohttp.ClientTimeout(total=15)
MAX_ANSWER = 1 << 20


class ProviderError(Exception):
    """The provider could not be reached, or answered what a provider must not."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class OidcSignIn:
    def __init__(self, services: Services, state_key: str) -> None:
        self.settings = services.identity_settings
        self.external = services.external_users
        self.accounts = services.accounts
        self.state_key = state_key
        self._discovered: dict[str, tuple[float, dict[str, Any], dict[str, Any]]] = {}

    async def values(self) -> dict[str, Any]:
        values = await self.settings.current()
        if not oidc_on(values):
            raise RegistryError("PRECONDITION", "OpenID Connect sign-in is not configured", status=412)
        return values

    # --- talking to the provider ---------------------------------------------------------
    async def _call(self, values: dict[str, Any], method: str, url: str, **kwargs) -> dict[str, Any]:
        try:
            async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
                async with http.request(method, url, ssl=bool(values["oidc_verify_cert"]), **kwargs) as answer:
                    body = await answer.content.read(MAX_ANSWER)
                    status = answer.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise ProviderError(f"cannot reach the OIDC provider: {exc}") from None
        try:
            data = json.loads(body)
        except ValueError:
            raise ProviderError(f"the OIDC provider answered {status} without JSON") from None
        if status >= 400 or not isinstance(data, dict):
            reason = data.get("error_description") or data.get("error") if isinstance(data, dict) else status
            raise ProviderError(f"the OIDC provider refused: {reason}")
        return data

    async def _discover(self, values: dict[str, Any], refresh_keys: bool = False) -> tuple[dict, dict]:
        """The provider's metadata and signing keys, remembered for an hour."""
        endpoint = values["oidc_endpoint"].rstrip("/")
        cached = self._discovered.get(endpoint)
        if cached and cached[0] > time.monotonic() and not refresh_keys:
            return cached[1], cached[2]
        metadata = await self._call(values, "GET", endpoint + "/.well-known/openid-configuration")
        for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(metadata.get(name), str):
                raise ProviderError(f"the provider's discovery document lacks {name}")
        keys = await self._call(values, "GET", metadata["jwks_uri"])
        self._discovered[endpoint] = (time.monotonic() + DISCOVERY_LIFETIME, metadata, keys)
        return metadata, keys

    async def _tokens(self, values: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
        metadata, _ = await self._discover(values)
        auth = aiohttp.BasicAuth(values["oidc_client_id"], values["oidc_client_secret"])
        return await self._call(values, "POST", metadata["token_endpoint"], data=form, auth=auth,
                                headers={"Accept": "application/json"})

    async def _verified(self, values: dict[str, Any], id_token: str, nonce: str | None) -> dict[str, Any]:
        """The claims of an ID token signed by the provider for this client."""
        try:
            kid = jwt.get_unverified_header(id_token).get("kid")
        except jwt.PyJWTError as exc:
            raise ProviderError(f"malformed ID token: {exc}") from None
        metadata, keys = await self._discover(values)
        if kid not in {k.get("kid") for k in keys.get("keys", [])}:
            metadata, keys = await self._discover(values, refresh_keys=True)
        try:
            key = next(jwt.PyJWK(k) for k in keys.get("keys", []) if k.get("kid") == kid or kid is None)
            claims = jwt.decode(id_token, key, algorithms=["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"],
                                audience=values["oidc_client_id"], issuer=metadata["issuer"], leeway=30)
        except (StopIteration, jwt.PyJWTError) as exc:
            raise ProviderError(f"the ID token does not verify: {exc}") from None
        if nonce is not None and not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
            raise ProviderError("the ID token's nonce does not match this sign-in")
        return claims

    async def _userinfo(self, values: dict[str, Any], access_token: str) -> dict[str, Any]:
        metadata, _ = await self._discover(values)
        if not metadata.get("userinfo_endpoint") or not access_token:
            return {}
        return await self._call(values, "GET", metadata["userinfo_endpoint"],
                                headers={"Authorization": f"Bearer {access_token}"})

    @staticmethod
    def _identity(values: dict[str, Any], claims: dict[str, Any]) -> ExternalIdentity:
        claim = values["oidc_user_claim"]
        names = [claims.get(claim)] if claim else [claims.get(c) for c in ("preferred_username", "name", "email")]
        username = next((n for n in names if isinstance(n, str) and n), "")
        if not username:
            raise ProviderError(f"the provider's claims name no user ({claim or 'preferred_username, name, email'})")
        raw_groups = claims.get(values["oidc_groups_claim"], []) if values["oidc_groups_claim"] else []
        groups = tuple(str(g) for g in (raw_groups if isinstance(raw_groups, list) else [raw_groups]))[:100]
        admin_group = values["oidc_admin_group"]
        return ExternalIdentity("oidc", username, f"{claims.get('iss', '')}|{claims['sub']}",
                                str(claims.get("email") or ""), str(claims.get("name") or ""),
                                tuple((g, g) for g in groups), bool(admin_group) and admin_group in groups)

    # --- the browser's sign-in ---------------------------------------------------------------
    async def begin(self, redirect_uri: str) -> tuple[str, str]:
        """The provider's authorization URL and the signed cookie that remembers this sign-in."""
        values = await self.values()
        try:
            metadata, _ = await self._discover(values)
        except ProviderError as exc:
            raise RegistryError("UNAVAILABLE", str(exc), status=503) from None
        state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
        scope = " ".join(s.strip() for s in values["oidc_scope"].split(",") if s.strip())
        query = {"response_type": "code", "client_id": values["oidc_client_id"], "redirect_uri": redirect_uri,
                 "scope": scope, "state": state, "nonce": nonce, "code_challenge_method": "S256",
                 "code_challenge": _b64url(hashlib.sha256(verifier.encode()).digest())}
        if "offline_access" in scope.split():
            query["prompt"] = "consent"  # some providers hand out refresh tokens only after consent
        pending = jwt.encode({"state": state, "nonce": nonce, "verifier": verifier,
                              "exp": int(time.time()) + PENDING_LIFETIME}, self.state_key, algorithm="HS256")
        return f"{metadata['authorization_endpoint']}?{urlencode(query)}", pending

    async def finish(self, code: str, state: str, pending: str, redirect_uri: str) -> Principal:
        """The signed-in user after the provider's redirect back; UNAUTHORIZED on any mismatch."""
        values = await self.values()
        try:
            remembered = jwt.decode(pending, self.state_key, algorithms=["HS256"])
        except jwt.PyJWTError:
            raise refused("this sign-in expired or was not started here; start again") from None
        if not state or not secrets.compare_digest(state, str(remembered.get("state", ""))):
            raise refused("the sign-in state does not match; start again")
        try:
            answer = await self._tokens(values, {"grant_type": "authorization_code", "code": code,
                                                 "redirect_uri": redirect_uri,
                                                 "code_verifier": str(remembered["verifier"])})
            if not isinstance(answer.get("id_token"), str):
                raise ProviderError("the provider answered without an ID token")
            claims = await self._verified(values, answer["id_token"], str(remembered["nonce"]))
            claims = {**await self._userinfo(values, str(answer.get("access_token", ""))), **claims}
            identity = self._identity(values, claims)
        except ProviderError as exc:
            log.warning("OIDC sign-in failed: %s", exc)
            raise refused(f"sign-in with the OIDC provider failed: {exc}") from None
        if not values["oidc_auto_onboard"] and await self.accounts.find(identity.username) is None:
            raise refused(f"{identity.username} has no account here and oidc_auto_onboard is off")
        principal = await self.external.sign_in(identity)
        user = await self.accounts.user(principal.user_id)
        if isinstance(answer.get("refresh_token"), str):
            await self.external.keep_refresh_token(user, answer["refresh_token"])
        else:
            await self.external.cli_secret(user)
            log.warning("the OIDC provider gave %s no refresh token (is offline_access in oidc_scope?): their CLI "
                        "secret will stop working after auth.provider_refresh_seconds", identity.username)
        return principal

    # --- CLI secrets -------------------------------------------------------------------------
    async def cli_login(self, user: UserRecord, secret: str) -> tuple[Principal, float] | None:
        if not await self.external.check_cli_secret(user, secret):
            return None
        principal = await self.accounts.user_principal(user)
        if principal is None:
            raise refused(f"the OIDC provider no longer vouches for {user.username}; sign in on the web page again")
        return principal, math.inf

    async def revalidate(self, user: UserRecord) -> bool:
        """Redeem the user's refresh token and record what the provider says now."""
        token = await self.external.refresh_token(user)
        if token is None:
            return False
        try:
            values = await self.values()
            answer = await self._tokens(values, {"grant_type": "refresh_token", "refresh_token": token})
            claims: dict[str, Any] = await self._userinfo(values, str(answer.get("access_token", "")))
            if isinstance(answer.get("id_token"), str):
                claims.update(await self._verified(values, answer["id_token"], None))
            claims.setdefault("iss", user.external_id.split("|", 1)[0])
            identity = self._identity(values, claims)
        except (ProviderError, RegistryError, KeyError) as exc:
            log.info("the OIDC provider no longer vouches for %s: %s", user.username, exc)
            return False
        if identity.external_id != user.external_id:
            return False
        if isinstance(answer.get("refresh_token"), str):
            await self.external.keep_refresh_token(user, answer["refresh_token"])
        await self.external.vouch(user, identity)
        return True
