"""Docker auth configurations: ``{"auths": {...}}`` (config.json, dockerconfigjson) and the
legacy bare map (dockercfg), decoded with the kubelet's rules.

An entry's ``auth`` (base64 ``user:password``) overrides ``username``/``password``.
``identitytoken`` and ``registrytoken`` are ignored, as the kubelet ignores them; an
entry that holds an identity token but no password (what ``docker login`` writes when
the registry hands it a refresh token) is kept, with a note that tells the user why
the pull will be refused and how to fix the Secret.
"""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from registry.agent.errors import InputError
from registry.agent.keyring import Credential, Keyring


def decode_auth(value: str) -> tuple[str, str]:
    """Split base64 ``user:password`` (padded or not) into its two halves."""
    text = value.strip()
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        decoded = raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError(f"unable to decode auth field: {exc}") from None
    username, sep, password = decoded.partition(":")
    if not sep:
        raise ValueError("unable to parse auth field, must be formatted as base64(username:password)")
    return username, password


def encode_auth(username: str, password: str) -> str:
    return base64.b64encode(f"{username}:{password}".encode()).decode()


def identity_token_problem(server: str, username: str, label: str, secret: str | None) -> str:
    """Why a password-less entry with an ``identitytoken`` fails, and how to replace it."""
    if secret:
        fix = (f"recreate the Secret with `kubectl create secret docker-registry {secret} --docker-server={server} "
               f"--docker-username={username or '<user>'} --docker-password=<password>`")
    else:
        fix = "write the password into it (`auth`: base64 of user:password)"
    return (f"the credentials for {server} in {label} hold only an identity token from `docker login`, "
            f"which the kubelet cannot use; {fix}")


def keyring_from_auths(
    auths: Any, *, source: str, document: int | None, field: str, label: str, secret: str | None = None
) -> Keyring:
    """Build a keyring from a server → entry map; ``label`` names the credentials' origin,
    ``secret`` the Secret's name when they come from one."""
    if not isinstance(auths, dict):
        raise InputError(source, "must be a JSON object of server → credentials", document=document, field=field)
    keyring = Keyring()
    for server, entry in auths.items():
        where = f"{field}[{server!r}]"
        if not isinstance(entry, dict):
            raise InputError(source, "must be a JSON object", document=document, field=where)
        username, password = entry.get("username") or "", entry.get("password") or ""
        if not all(isinstance(v, str) for v in (username, password, entry.get("email") or "", entry.get("auth") or "")):
            raise InputError(source, "username, password, email and auth must be strings", document=document, field=where)
        if entry.get("auth"):
            try:
                username, password = decode_auth(entry["auth"])
            except ValueError as exc:
                raise InputError(source, str(exc), document=document, field=where + ".auth") from None
        problem = ""
        if entry.get("identitytoken") and not password:
            problem = identity_token_problem(server, username, label, secret)
        credential = Credential(username, password, entry.get("email") or "", label, problem)
        if not keyring.add(server, credential):
            raise InputError(source, "not a valid registry address", document=document, field=where)
    return keyring


def parse_config_json(text: str, *, source: str, document: int | None, field: str, label: str,
                      legacy: bool = False, secret: str | None = None) -> Keyring:
    """Parse a dockerconfigjson (``{"auths": …}``) or, with ``legacy``, a dockercfg bare map."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(source, f"not valid JSON: {exc}", document=document, field=field) from None
    if legacy:
        return keyring_from_auths(data, source=source, document=document, field=field, label=label, secret=secret)
    if not isinstance(data, dict):
        raise InputError(source, "must be a JSON object with an \"auths\" map", document=document, field=field)
    return keyring_from_auths(data.get("auths") or {}, source=source, document=document,
                              field=f"{field}.auths" if field else "auths", label=label, secret=secret)


def load_docker_config(path: str) -> Keyring:
    """A node-level ``config.json`` (``auths`` only; credential helpers are not consulted)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror}") from None
    return parse_config_json(text, source=path, document=None, field="", label=path)
