"""A small, honest OCI client for tests: plain HTTP calls, no shortcuts into the server."""
from __future__ import annotations

import requests

from tests.support.images import Image, Index, sha256


class RegistryClient:
    def __init__(self, url: str, auth: tuple[str, str] | None = None) -> None:
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.verify = False
        if auth:
            self.session.auth = auth

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        if path.startswith("http"):
            return self.session.request(method, path, **kwargs)
        return self.session.request(method, f"{self.url}{path}", **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def head(self, path: str, **kwargs) -> requests.Response:
        return self.request("HEAD", path, **kwargs)

    def put(self, path: str, **kwargs) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def push_blob(self, repo: str, data: bytes) -> str:
        digest = sha256(data)
        start = self.post(f"/v2/{repo}/blobs/uploads/")
        assert start.status_code == 202, start.text
        location = start.headers["Location"]
        sep = "&" if "?" in location else "?"
        done = self.put(f"{location}{sep}digest={digest}", data=data,
                        headers={"Content-Type": "application/octet-stream"})
        assert done.status_code == 201, done.text
        return digest

    def push_manifest(self, repo: str, reference: str, body: bytes, media_type: str) -> requests.Response:
        return self.put(f"/v2/{repo}/manifests/{reference}", data=body, headers={"Content-Type": media_type})

    def push_image(self, repo: str, image: Image, tag: str | None = None) -> str:
        for data in image.blobs.values():
            self.push_blob(repo, data)
        response = self.push_manifest(repo, tag or image.digest, image.manifest, image.media_type)
        assert response.status_code == 201, response.text
        return response.headers["Docker-Content-Digest"]

    def push_index(self, repo: str, index: Index, tag: str | None = None) -> str:
        for image in index.images:
            self.push_image(repo, image)
        response = self.push_manifest(repo, tag or index.digest, index.manifest, index.media_type)
        assert response.status_code == 201, response.text
        return response.headers["Docker-Content-Digest"]


def error_codes(response: requests.Response) -> list[str]:
    """The OCI error codes in a response body (empty when it is not OCI error JSON)."""
    try:
        return [e["code"] for e in response.json()["errors"]]
    except (ValueError, KeyError, TypeError):
        return []
