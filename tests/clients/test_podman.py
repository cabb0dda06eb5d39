"""podman, a Docker-compatible CLI, doing the walkthrough's Harbor steps: login, tag, push, pull."""
from __future__ import annotations

import shutil

from tests.clients.podman import Podman
from tests.conftest import ADMIN
from tests.support.admin import add_project
from tests.support.images import make_image, write_oci_layout


def test_walkthrough_with_podman(fresh_berth, tmp_path):
    server = fresh_berth()
    add_project(server, "gxs-project")
    image = make_image(layers=2)
    layout = write_oci_layout(tmp_path / "nginx", image, "111")
    podman = Podman(tmp_path / "podman")
    podman("pull", f"oci:{layout}:111")
    ref = f"{server.host}/gxs-project/nginx:111"
    images = podman("images", "--format", "{{.ID}}").stdout.split()
    podman("tag", images[0], ref)
    refused = podman("push", "--tls-verify=false", ref, check=False)
    assert refused.returncode != 0  # not logged in, private project
    login = podman("login", "--tls-verify=false", "-u", ADMIN[0], "-p", ADMIN[1], server.host)
    assert "Login Succeeded" in login.stdout
    podman("push", "--tls-verify=false", ref)
    podman("rmi", "-f", ref)
    podman("pull", "--tls-verify=false", ref)
    assert ref in podman("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.replace("localhost/", "")
    podman("logout", server.host)
    podman("rmi", "-a", "-f")
    anonymous = podman("pull", "--tls-verify=false", ref, check=False)
    assert anonymous.returncode != 0 and "unauthorized" in anonymous.stderr.lower()
    shutil.rmtree(podman.runroot, ignore_errors=True)
