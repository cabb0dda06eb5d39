"""Slow password checks are capped across the process, and concurrent logins with one new
credential share a single check. Real services over a real SQLite store; the account
service's check is only observed (counted), never replaced."""
from __future__ import annotations

import asyncio

import pytest

from registry.auth.state import build_auth
from registry.config import load_config
from registry.core.errors import RegistryError
from registry.server.wiring import open_registry

PASSWORD = "Secret-Pass-1"


@pytest.fixture
async def auth(tmp_path):
    config = load_config(overrides={"data_dir": str(tmp_path), "auth.concurrent_password_checks": 2})
    registry = await open_registry(config)
    services = registry.services
    for i in range(6):
        await services.accounts.create_user(f"user{i}", PASSWORD)
    state = await build_auth(services, config)
    running = {"now": 0, "most": 0, "calls": 0}
    check = services.accounts.check_login

    async def observed(username: str, secret: str):
        running["calls"] += 1
        running["now"] += 1
        running["most"] = max(running["most"], running["now"])
        try:
            return await check(username, secret)
        finally:
            running["now"] -= 1

    services.accounts.check_login = observed
    yield state, running
    await registry.close()


async def test_at_most_the_configured_checks_run_at_once(auth):
    state, running = auth
    logins = [state.basic.login(f"user{i}", PASSWORD, "10.0.0.1") for i in range(6)]
    wrong = [state.basic.login(f"user{i}", "Wrong-Pass-1", "10.0.0.2") for i in range(6)]
    results = await asyncio.gather(*logins, *wrong, return_exceptions=True)
    assert [p.name for p in results[:6]] == [f"user{i}" for i in range(6)]
    assert all(isinstance(r, RegistryError) and r.status == 401 for r in results[6:])
    assert running["calls"] == 12 and running["most"] == 2


async def test_concurrent_logins_with_one_credential_share_a_check(auth):
    state, running = auth
    results = await asyncio.gather(*(state.basic.login("user0", PASSWORD, "10.0.0.1") for _ in range(50)))
    assert {p.name for p in results} == {"user0"} and running["calls"] == 1
    await state.basic.login("user0", PASSWORD, "10.0.0.1")  # remembered now
    assert running["calls"] == 1
