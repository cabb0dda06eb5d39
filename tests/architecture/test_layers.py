"""Imports point only downward: the layer picture in the README, kept by reading every import.

ground (registry.oci) <- storage <- core <- auth <- http <- handlers <- composition root
(registry.server) <- the command (registry.cli); the agent stands on the ground alone.
"""
from __future__ import annotations

import pytest

from tests.architecture.layers import imports_of, layer_of, project_modules, wrong_arrows


def _arrows(module: str, path) -> list:
    return wrong_arrows(module, imports_of(path.read_text(), module, path.name == "__init__.py"))


def test_every_module_has_a_layer():
    assert [m for m, _ in project_modules() if layer_of(m) is None] == []


def test_no_import_runs_back_up():
    wrong = [str(arrow) for module, path in project_modules() for arrow in _arrows(module, path)]
    assert wrong == []


# Each arrow the layer picture forbids, as an import someone could write: the check must see it.
FORBIDDEN = [
    ("storage.blobs.filesystem", "from registry.core.errors import RegistryError"),
    ("storage.meta.store", "import registry.http.appkeys"),
    ("registry.agent.puller", "from registry.core import mediatypes"),
    ("registry.agent.client", "from registry.server.wiring import open_registry"),
    ("registry.http.errors", "from registry.api import routes"),
    ("registry.http.appkeys", "from registry.server.app import create_app"),
    ("registry.auth.tokens", "from registry.http.appkeys import AUTH"),
    ("registry.distribution.blobs", "from storage.blobs.base import BlobStore"),
    ("registry.api.render", "from storage.meta.records import ProjectRecord"),
    ("registry.api.system", "from storage.meta import store"),
    ("registry.core.gc", "from registry.server.background import Background"),
    ("registry.core.projects", "from registry.api.guards import refuse"),
    ("registry.core.blobs", "from registry.auth.access import Scope"),
    ("registry.oci.manifest", "from registry.core.errors import RegistryError"),
    ("registry.oci.digest", "import storage.blobs"),
    ("registry.distribution.uploads", "from registry.cli.runner import run_on_registry"),
    ("registry.server.app", "from registry.cli import main"),
    ("registry", "from registry.core import services"),
    ("registry.core.manifests", "from . import nothing_here\nfrom ..http import errors"),
]


@pytest.mark.parametrize(("module", "source"), FORBIDDEN, ids=[f"{m}: {s.splitlines()[-1]}" for m, s in FORBIDDEN])
def test_the_check_sees_each_forbidden_arrow(module, source):
    arrows = wrong_arrows(module, imports_of(source, module, is_package=False))
    assert arrows, f"{module} may not `{source}`, but the check let it through"


ALLOWED = [
    ("storage.blobs.base", "from registry.oci.digest import Digest"),
    ("registry.agent.puller", "from registry.oci.manifest import parse_manifest"),
    ("registry.distribution.blobs", "from registry.core.blobs import BlobBody"),
    ("registry.cli.runner", "from registry.server.wiring import open_registry"),
    ("registry.server.app", "from registry.api import routes"),
]


@pytest.mark.parametrize(("module", "source"), ALLOWED, ids=[f"{m}: {s}" for m, s in ALLOWED])
def test_downward_arrows_are_allowed(module, source):
    assert wrong_arrows(module, imports_of(source, module, is_package=False)) == []
