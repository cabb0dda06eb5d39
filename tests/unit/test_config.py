"""Configuration layering and the messages a bad file gets."""
from __future__ import annotations

import pytest

from registry.config import ConfigError, load_config


def test_defaults():
    config = load_config(environ={})
    assert config["http.host"] == "127.0.0.1" and config["http.port"] == 5000
    assert config["storage.driver"] == "filesystem" and config["database.driver"] == "sqlite"


def test_file_env_and_flags_layer_in_order(tmp_path):
    path = tmp_path / "c.yml"
    path.write_text("http:\n  port: 6000\n  workers: 2\nauth:\n  service: mine\n")
    config = load_config(path, {"http.workers": 3}, environ={"BERTH_HTTP_PORT": "7000", "BERTH_ADMIN_PASSWORD": "pw"})
    assert config["http.port"] == 7000
    assert config["http.workers"] == 3
    assert config["auth.service"] == "mine"
    assert config["auth.admin_password"] == "pw"


@pytest.mark.parametrize("text,needle", [
    ("http:\n  prot: 1\n", "http.prot"),
    ("http:\n  port: many\n", "http.port"),
    ("http: 5\n", "http must be a mapping"),
    ("storage:\n  driver: floppy\n", "storage.driver"),
    ("- a\n- b\n", "top level"),
    ("http: [unclosed\n", "not valid YAML"),
    ("http:\n  port: 70000\n", "http.port"),
])
def test_bad_files_name_the_key(tmp_path, text, needle):
    path = tmp_path / "bad.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert needle in str(info.value)


def test_bad_environment_value():
    with pytest.raises(ConfigError) as info:
        load_config(environ={"BERTH_HTTP_PORT": "x"})
    assert "BERTH_HTTP_PORT" in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.yml", environ={})
    assert "cannot read" in str(info.value)
