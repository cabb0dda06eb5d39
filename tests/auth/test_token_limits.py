"""The token endpoint's limits on defaults: clients that log in are never throttled for asking
often; anonymous floods and failed logins are."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.conftest import ADMIN
from tests.support.admin import add_project, add_user

SCOPE = {"service": "harbor-registry", "scope": "repository:pub/web:pull"}


def _many(url: str, count: int, auth=None, workers: int = 16) -> list[requests.Response]:
    local = threading.local()

    def one(_: int) -> requests.Response:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return local.session.get(url, params=SCOPE, auth=auth, timeout=30)

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, range(count)))


def test_a_thousand_authenticated_token_requests_all_succeed(fresh_berth):
    server = fresh_berth()
    statuses = [r.status_code for r in _many(f"{server.url}/service/token", 1000, auth=ADMIN)]
    assert statuses == [200] * 1000


def test_anonymous_flood_is_throttled_per_address(fresh_berth):
    server = fresh_berth()
    add_project(server, "pub", public=True)
    responses = _many(f"{server.url}/service/token", 400)
    limited = [r for r in responses if r.status_code == 429]
    assert limited, "400 anonymous token requests at once must hit the limit"
    assert sum(r.status_code == 200 for r in responses) >= 100  # the burst
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert limited[0].json()["errors"][0]["code"] == "TOOMANYREQUESTS"
    # Someone who logs in from the same address is not held back by the anonymous limit.
    assert requests.get(f"{server.url}/service/token", params=SCOPE, auth=ADMIN, timeout=10).status_code == 200


def test_failed_login_flood_backs_off(fresh_berth):
    server = fresh_berth()
    add_user(server, "target", "Right-Pass-1")
    url = f"{server.url}/service/token"
    guesses = [requests.get(url, params=SCOPE, auth=("target", f"Wrong-Pass-{i}"), timeout=10).status_code
               for i in range(8)]
    assert guesses[:5] == [401] * 5 and guesses[-1] == 429
    # The back-off holds even for the right password until it ends: guessing gets no faster.
    refused = requests.get(url, params=SCOPE, auth=("target", "Right-Pass-1"), timeout=10)
    assert refused.status_code == 429 and refused.json()["errors"][0]["code"] == "TOOMANYREQUESTS"
    # Across many accounts, the address backs off too.
    spray = [requests.get(url, params=SCOPE, auth=(f"user{i}", "Wrong-Pass-1"), timeout=10).status_code
             for i in range(40)]
    assert 429 in spray and spray[-1] == 429
    failed_refresh = requests.post(url, data={"grant_type": "refresh_token", "refresh_token": "forged",
                                              "service": "harbor-registry"}, timeout=10)
    assert failed_refresh.status_code == 429
