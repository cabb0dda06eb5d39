"""Everything authentication needs at run time, built once per process at start."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from registry.auth.basic import BasicAuthenticator
from registry.auth.oidc import OidcSignIn
from registry.auth.providers import IdentityProviders
from registry.auth.controller import RegistryAccess
from registry.auth.signing_key import SigningKey
from registry.auth.ratelimit import RateLimiter
from registry.auth.throttle import LoginThrottle
from registry.auth.tokens import TokenAuthority
from registry.config import Config
from registry.core.accounts import AccountService
from registry.core.services import Services


@dataclass
class AuthState:
    key: SigningKey
    tokens: TokenAuthority
    basic: BasicAuthenticator
    access: RegistryAccess
    accounts: AccountService
    anonymous_rate: RateLimiter
    providers: IdentityProviders
    oidc: OidcSignIn

    def limit_anonymous(self, client: str) -> None:
        """Count an anonymous token request of ``client``; TOOMANYREQUESTS beyond the limit."""
        self.anonymous_rate.take(client)


async def build_auth(services: Services, config: Config) -> AuthState:
    key = await SigningKey.load(services.secrets)
    cache_secret = await services.secrets.get_or_create("credential-cache-key", lambda: secrets.token_hex(32))
    cache_key = hashlib.sha256(cache_secret.encode()).digest()
    tokens = TokenAuthority(key, config["auth.service"], config["auth.issuer"], config["auth.token_lifetime"])
    providers = IdentityProviders(services)
    providers.oidc = OidcSignIn(services, await services.secrets.get_or_create("oidc-state-key",
                                                                               lambda: secrets.token_hex(32)))
    services.accounts.revalidator = providers
    throttle = LoginThrottle(config["auth.login_failures_per_account"], config["auth.login_failures_per_address"])
    basic = BasicAuthenticator(services.accounts, services.audit, throttle, cache_key,
                               float(config["auth.credential_cache_seconds"]),
                               int(config["auth.concurrent_password_checks"]), logins=providers)
    access = RegistryAccess(basic, tokens, services.accounts, services.projects, config["http.external_url"])
    anonymous = RateLimiter(float(config["limits.anonymous_tokens_per_second"]),
                            int(config["limits.anonymous_token_burst"]))
    return AuthState(key, tokens, basic, access, services.accounts, anonymous, providers, providers.oidc)
