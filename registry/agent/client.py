"""The agent's registry client: the shared protocol client, failing with the agent's errors.

Its failures are PullError and UnauthorizedError, so the puller's fallbacks and the
command's messages see every failed request as a failed pull.
"""
from __future__ import annotations

from registry.agent.errors import PullError, UnauthorizedError
from registry.oci.auth import Failures
from registry.oci.client import RegistryClient as ProtocolClient


class RegistryClient(ProtocolClient):
    failures = Failures(PullError, UnauthorizedError)
