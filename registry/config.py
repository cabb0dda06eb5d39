"""Configuration: the defaults in conf/berth.yml, a user file, BERTH_* variables, flags.

Each layer may only set keys the defaults define, with a value of the same type, so a
typo or a wrong type is reported by the key's name before anything starts.
"""
from __future__ import annotations

import copy
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

# conf/berth.yml, shipped inside the package (registry/defaults.yml links to it) so that a
# normal, non-editable install finds its defaults wherever it runs.
DEFAULTS_FILE = Path(__file__).parent / "defaults.yml"
_ALIASES = {"BERTH_ADMIN_PASSWORD": "auth.admin_password", "BERTH_DATA": "data_dir"}


class ConfigError(ValueError):
    """A configuration problem, worded for the person who wrote the file."""


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            loaded = yaml.safe_load(f)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys")
    return loaded


def _coerce(key: str, default: Any, value: Any, origin: str) -> Any:
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
    elif isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
    elif isinstance(default, float):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
    elif isinstance(default, str):
        if isinstance(value, str):
            return value
        if value is None:
            return ""
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
    raise ConfigError(f"{origin}: {key} must be {type(default).__name__}, not {value!r}")


def _merge(base: dict[str, Any], layer: Mapping[str, Any], origin: str, prefix: str = "") -> None:
    for key, value in layer.items():
        path = f"{prefix}{key}"
        if key not in base:
            raise ConfigError(f"{origin}: unknown key {path!r}")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{origin}: {path} must be a mapping")
            _merge(base[key], value, origin, f"{path}.")
        else:
            base[key] = _coerce(path, base[key], value, origin)


def _paths(tree: dict[str, Any], prefix: str = "") -> Iterator[str]:
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _paths(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


def _set(tree: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    node: dict[str, Any] = {}
    root = node
    parts = path.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return root


class Config:
    """The merged configuration, read with dotted paths: ``config["http.port"]``."""

    def __init__(self, tree: dict[str, Any]) -> None:
        self.tree = tree

    def __getitem__(self, path: str) -> Any:
        node: Any = self.tree
        for part in path.split("."):
            node = node[part]
        return node

    def section(self, name: str) -> dict[str, Any]:
        return copy.deepcopy(self.tree[name])

    @property
    def data_dir(self) -> Path:
        return Path(self["data_dir"]).resolve()


def load_config(path: str | Path | None = None, overrides: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None) -> Config:
    """Defaults, then the file, then BERTH_* variables, then ``overrides`` (dotted keys)."""
    tree = _load_yaml(DEFAULTS_FILE)
    if path is not None:
        _merge(tree, _load_yaml(Path(path)), str(path))
    env = os.environ if environ is None else environ
    for key in _paths(tree):
        name = "BERTH_" + key.upper().replace(".", "_")
        if name in env:
            _merge(tree, _set({}, key, env[name]), f"environment {name}")
    for name, key in _ALIASES.items():
        if name in env:
            _merge(tree, _set({}, key, env[name]), f"environment {name}")
    for key, value in (overrides or {}).items():
        if value is not None:
            _merge(tree, _set({}, key, value), "command line")
    if tree["database"]["driver"] not in ("sqlite", "postgres"):
        raise ConfigError(f"database.driver must be sqlite or postgres, not {tree['database']['driver']!r}")
    if tree["storage"]["driver"] not in ("filesystem", "s3"):
        raise ConfigError(f"storage.driver must be filesystem or s3, not {tree['storage']['driver']!r}")
    if not 0 < tree["http"]["port"] < 65536:
        raise ConfigError(f"http.port must be between 1 and 65535, not {tree['http']['port']}")
    mirror = tree["mirror"]["port"]
    if not 0 <= mirror < 65536 or mirror == tree["http"]["port"]:
        raise ConfigError(f"mirror.port must be 0 (off) or a port from 1 to 65535 other than http.port, not {mirror}")
    return Config(tree)
