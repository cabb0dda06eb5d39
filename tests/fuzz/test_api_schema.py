"""Requests generated from Berth's own OpenAPI document (/api/v2.0/openapi.json), valid and
invalid, replayed as the admin against a server of this module's own: no answer may be a
5xx, and every answer must be one of the statuses, content types and shapes the document
declares for its operation.

The cases are generated when the tests are collected, before any server runs, from the
document the route table renders; a test checks that the server serves exactly that one.

The generation is derandomized and bounded per operation so that the run is the same on
every machine; destructive operations only ever touch this server.
"""
from __future__ import annotations

import json

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

from registry.api import openapi
from registry.api.routes import PREFIX, ROUTES
from tests.conftest import ADMIN
from tests.support.server import BerthServer

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
EXAMPLES_PER_OPERATION = 30
DOCUMENT = openapi.build(ROUTES, PREFIX)
schema = schemathesis.openapi.from_dict(DOCUMENT, config=schemathesis.Config(seed=1))
# Every request carries the admin's credentials, never generated ones: the point is to reach the handlers.
schema.config.generation.update(with_security_parameters=False, deterministic=True)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> BerthServer:
    # Registry endpoints generated here may only name loopback: pings never leave the machine.
    server = BerthServer(tmp_path_factory.mktemp("schema") / "data",
                         settings={"proxy": {"upstream_hosts": "127.0.0.1", "timeout": 2}}).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def admin_session() -> requests.Session:
    session = requests.Session()
    session.auth = ADMIN
    return session


def test_the_server_serves_the_document_the_cases_come_from(target):
    served = requests.get(f"{target.url}{PREFIX}/openapi.json", timeout=10)
    assert served.status_code == 200
    assert served.json() == json.loads(json.dumps(DOCUMENT))


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_every_answer_is_documented_and_none_is_a_server_error(case, admin_session, target):
    response = case.call(base_url=target.url + PREFIX, session=admin_session, timeout=20)
    case.validate_response(response, checks=CHECKS)


def test_the_admin_outlives_the_generated_requests(target, admin_session):
    """Generated deletes and updates cannot lock the run out: the admin is still the admin."""
    me = admin_session.get(f"{target.url}{PREFIX}/users/current", timeout=10)
    assert me.status_code == 200 and me.json()["sysadmin_flag"] is True
