"""A kubelet image credential provider plugin serving credentials from pull Secrets.

The kubelet runs the plugin with a ``CredentialProviderRequest`` on standard input
and reads a ``CredentialProviderResponse`` from standard output. The response maps
each matching Secret key to its username and password; the kubelet matches the
keys to the image again and tries them in turn. Configure it in the kubelet's
``CredentialProviderConfig`` with ``args: [agent, credential-provider, --secret, FILE]``.
"""
from __future__ import annotations

import json
from typing import Any

from registry.agent.errors import InputError, json_object
from registry.agent.keyring import Keyring
from registry.oci.reference import ImageReference, ReferenceError

API_VERSIONS = ("credentialprovider.kubelet.k8s.io/v1", "credentialprovider.kubelet.k8s.io/v1beta1",
                "credentialprovider.kubelet.k8s.io/v1alpha1")
SOURCE = "CredentialProviderRequest"


def parse_request(text: str) -> tuple[str, ImageReference]:
    """Validate a request; return its apiVersion (answered in kind) and the image."""
    request = json_object(text, SOURCE)
    api_version = request.get("apiVersion")
    if api_version not in API_VERSIONS:
        raise InputError(SOURCE, f"unsupported apiVersion {api_version!r}, expected one of {', '.join(API_VERSIONS)}",
                         field="apiVersion")
    if request.get("kind") != "CredentialProviderRequest":
        raise InputError(SOURCE, "must be CredentialProviderRequest", field="kind")
    image = request.get("image")
    if not isinstance(image, str) or not image:
        raise InputError(SOURCE, "required string", field="image")
    try:
        return api_version, ImageReference.parse(image)
    except ReferenceError as exc:
        raise InputError(SOURCE, str(exc), field="image") from None


def build_response(api_version: str, ref: ImageReference, keyring: Keyring, cache_duration: str) -> dict[str, Any]:
    """The response for ``ref``: every matching key with its first credential.

    ``cacheKeyType: Image`` because Secret keys may carry paths, so one registry's
    answer does not hold for all of its repositories.
    """
    auth = {key: {"username": credentials[0].username, "password": credentials[0].password}
            for key, credentials in keyring.matches(ref)}
    return {"apiVersion": api_version, "kind": "CredentialProviderResponse", "cacheKeyType": "Image",
            "cacheDuration": cache_duration, "auth": auth}


def serve(request_text: str, keyring: Keyring, cache_duration: str) -> str:
    api_version, ref = parse_request(request_text)
    return json.dumps(build_response(api_version, ref, keyring, cache_duration))
