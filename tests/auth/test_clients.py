"""The walkthrough's Harbor steps with a real client: login, push, pull, refusals, robots, TLS."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry.auth.certs import make_certificates
from tests.auth.conftest import PASSWORD
from tests.clients.skopeo import Skopeo
from tests.conftest import ADMIN
from tests.support.images import make_image, write_oci_layout


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, object]:
    image = make_image(layers=2, layer_size=30_000)
    return write_oci_layout(tmp_path / "img", image, "v1"), image


def test_login_push_pull_and_refusals(secured, tmp_path, layout):
    source, image = layout
    host = secured.server.host
    skopeo = Skopeo(tmp_path / "home", None)
    login = skopeo.run("login", "--tls-verify=false", "-u", "dev", "--password-stdin", host, check=False)
    assert login.returncode != 0  # no password given on stdin: refused, not crashed
    ok = skopeo.run("login", "--tls-verify=false", "-u", "dev", "-p", PASSWORD, host)
    assert "Login Succeeded" in ok.stdout
    wrong = skopeo.run("login", "--tls-verify=false", "-u", "dev", "-p", "Wrong-Pass-9", host, check=False)
    assert wrong.returncode != 0
    # dev pushes to the private project, guest pulls it, guest may not push.
    skopeo.copy(f"oci:{source}:v1", f"docker://{host}/team/walk:v1", dest_creds=("dev", PASSWORD))
    out = tmp_path / "pulled"
    skopeo.copy(f"docker://{host}/team/walk:v1", f"dir:{out}", src_creds=("guest", PASSWORD))
    assert (out / "manifest.json").read_bytes() == image.manifest
    refused = skopeo.copy(f"oci:{source}:v1", f"docker://{host}/team/walk:v2", dest_creds=("guest", PASSWORD),
                          check=False)
    assert refused.returncode != 0
    assert "denied" in refused.stderr.lower() or "unauthorized" in refused.stderr.lower()


def test_anonymous_pulls(secured, tmp_path):
    host = secured.server.host
    skopeo = Skopeo(tmp_path / "home", None)
    info = json.loads(skopeo.remote("inspect", f"docker://{host}/pub/web:v1").stdout)
    assert info["Digest"] == secured.pub_image.digest
    private = skopeo.remote("inspect", f"docker://{host}/team/app:v1", check=False)
    assert private.returncode != 0
    assert "unauthorized" in private.stderr.lower() or "denied" in private.stderr.lower()


def test_robot_push_and_pull(secured, tmp_path, layout):
    source, image = layout
    host = secured.server.host
    bot = secured.robots["teambot"]
    skopeo = Skopeo(tmp_path / "home", (bot["name"], bot["secret"]))
    skopeo.copy(f"oci:{source}:v1", f"docker://{host}/team/robotic:v1")
    info = json.loads(skopeo.remote("inspect", f"docker://{host}/team/robotic:v1").stdout)
    assert info["Digest"] == image.digest
    elsewhere = skopeo.copy(f"oci:{source}:v1", f"docker://{host}/other/robotic:v1", check=False)
    assert elsewhere.returncode != 0


def test_tls_with_the_generated_ca(fresh_berth, tmp_path, layout):
    source, image = layout
    certs = make_certificates(tmp_path / "certs", ["127.0.0.1", "localhost"])
    server = fresh_berth(settings={"http": {"tls_certificate": str(certs["server.crt"]),
                                            "tls_key": str(certs["server.key"])},
                                   "auth": {"auto_create_projects": True}})
    assert server.url.startswith("https://")
    skopeo = Skopeo(tmp_path / "home", ADMIN)
    certs_dir = tmp_path / "trust"
    certs_dir.mkdir()
    (certs_dir / "ca.crt").write_bytes(certs["ca.crt"].read_bytes())
    dest = f"docker://{server.host}/library/tls:v1"
    skopeo.run("copy", "--dest-cert-dir", str(certs_dir), "--dest-creds", f"{ADMIN[0]}:{ADMIN[1]}",
               f"oci:{source}:v1", dest)
    info = json.loads(skopeo.run("inspect", "--cert-dir", str(certs_dir), "--creds", f"{ADMIN[0]}:{ADMIN[1]}",
                                 dest).stdout)
    assert info["Digest"] == image.digest
    untrusted = skopeo.run("inspect", "--tls-verify=true", "--creds", f"{ADMIN[0]}:{ADMIN[1]}", dest, check=False)
    assert untrusted.returncode != 0 and "certificate" in untrusted.stderr.lower()
