"""What the first start of a registry creates: the admin account and the token signing key.

Run by ``berth serve`` before any worker starts, and by ``berth init``: the only two ways
a registry comes into being (administration commands refuse a directory that holds none).
"""
from __future__ import annotations

from registry.auth.signing_key import SigningKey
from registry.config import Config
from registry.core.services import Services


async def first_start(services: Services, config: Config) -> None:
    generated = await services.accounts.bootstrap_admin(config["auth.admin_password"], config.data_dir)
    if generated:
        print(f"Generated the admin password (shown once, also in {config.data_dir / 'admin-password'}):"
              f"\n  admin / {generated}", flush=True)
    key = await SigningKey.load(services.secrets)
    key.export(config.data_dir)
