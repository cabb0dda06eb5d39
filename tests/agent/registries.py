"""Real registries on loopback for the agent's tests: CNCF Distribution, plain, with
htpasswd (Basic challenge) or with token auth backed by a small aiohttp token server.
"""
from __future__ import annotations

import asyncio
import base64
import datetime
import json
import shutil
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import aiohttp
import jwt
import yaml
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DISTRIBUTION = "/usr/bin/docker-registry"
SERVICE = "berth-agent-tests"
ISSUER = "berth-agent-test-issuer"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"registry exited: {log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"registry did not listen on {port}: {log.read_text()}")


def htpasswd_line(user: str, password: str) -> str:
    """A bcrypt htpasswd entry (the only hash Distribution accepts)."""
    try:
        import bcrypt
    except ImportError:
        if shutil.which("htpasswd") is None:
            raise RuntimeError("need the Python package bcrypt or htpasswd (apache2-utils)") from None
        out = subprocess.run(["htpasswd", "-Bbn", "-C", "4", user, password], check=True,
                             capture_output=True, text=True).stdout
        return out.strip()
    return f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()}"


class Distribution:
    """One ``docker-registry`` process with its own storage directory and config."""

    def __init__(self, workdir: Path, auth: dict | None = None):
        self.workdir = workdir
        self.port = free_port()
        self.storage = workdir / "storage"
        self.log_path = workdir / "registry.log"
        config = {
            "version": 0.1,
            "log": {"level": "info", "accesslog": {"disabled": False}},
            "storage": {"filesystem": {"rootdirectory": str(self.storage)}, "delete": {"enabled": True}},
            "http": {"addr": f"127.0.0.1:{self.port}", "secret": uuid.uuid4().hex},
        }
        if auth:
            config["auth"] = auth
        self.config_path = workdir / "config.yml"
        self.config_path.write_text(yaml.safe_dump(config))
        self.process: subprocess.Popen | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def start(self) -> "Distribution":
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen([DISTRIBUTION, "serve", str(self.config_path)], stdout=log, stderr=log)
        _wait_for_port(self.port, self.process, self.log_path)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def blob_file(self, digest: str) -> Path:
        hex_ = digest.split(":", 1)[1]
        return self.storage / "docker/registry/v2/blobs/sha256" / hex_[:2] / hex_ / "data"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


class TokenServer:
    """A Docker token service: ES256 JWTs with an ``x5c`` chain Distribution trusts.

    ``users`` maps username → password; valid users get pull and push on every
    repository. Anonymous callers get pull on ``public/…`` repositories (like a public
    Harbor project) and an empty grant elsewhere, so the registry says 401.
    """

    def __init__(self, workdir: Path, users: dict[str, str]):
        self.users = users
        self.port = free_port()
        self.requests: list[dict] = []
        self._key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
        now = datetime.datetime.now(datetime.timezone.utc)
        self._cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                      .public_key(self._key.public_key()).serial_number(x509.random_serial_number())
                      .not_valid_before(now - datetime.timedelta(days=1))
                      .not_valid_after(now + datetime.timedelta(days=1))
                      .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                      .sign(self._key, hashes.SHA256()))
        self.cert_path = workdir / "token-cert.pem"
        self.cert_path.write_bytes(self._cert.public_bytes(serialization.Encoding.PEM))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    def issue(self, subject: str, access: list[dict]) -> str:
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": subject, "aud": SERVICE, "exp": now + 300, "nbf": now - 5, "iat": now,
                  "jti": uuid.uuid4().hex, "access": access}
        x5c = base64.b64encode(self._cert.public_bytes(serialization.Encoding.DER)).decode()
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"x5c": [x5c]})

    async def _token(self, request: web.Request) -> web.Response:
        user = ""
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            if self.users.get(user) != password:
                self.requests.append({"user": user, "ok": False, "scope": request.query.getall("scope", [])})
                return web.json_response({"details": "incorrect username or password"}, status=401)
        scopes = request.query.getall("scope", [])
        self.requests.append({"user": user, "ok": True, "scope": scopes, "service": request.query.get("service")})
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, _actions = rest.rpartition(":")
            if user:
                access.append({"type": kind, "name": name, "actions": ["pull", "push"]})
            elif name.startswith("public/"):
                access.append({"type": kind, "name": name, "actions": ["pull"]})
        token = self.issue(user, access)
        return web.json_response({"token": token, "access_token": token, "expires_in": 300})

    def start(self) -> "TokenServer":
        ready = threading.Event()

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            app = web.Application()
            app.router.add_get("/token", self._token)
            self._runner = web.AppRunner(app)
            self._loop.run_until_complete(self._runner.setup())
            self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def distribution_auth(self) -> dict:
        return {"token": {"realm": self.realm, "service": SERVICE, "issuer": ISSUER,
                          "rootcertbundle": str(self.cert_path)}}


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def dump_json(path: Path, value: object) -> Path:
    path.write_text(json.dumps(value))
    return path


class CuttingProxy:
    """A reverse proxy in front of a real registry that stalls and drops the connection
    in the middle of the first full (non-Range) blob download, as a flaky network would."""

    PASSED_HEADERS = ("Content-Type", "Content-Length", "Content-Range", "Docker-Content-Digest",
                      "WWW-Authenticate", "Location", "Accept-Ranges")

    def __init__(self, upstream: str, cut_after: int):
        self.upstream = upstream
        self.cut_after = cut_after
        self.port = free_port()
        self.cuts = 0
        self.ranges: list[str] = []
        self._runner: web.AppRunner | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        headers = {k: v for k, v in request.headers.items() if k in ("Accept", "Authorization", "Range")}
        if "Range" in headers:
            self.ranges.append(headers["Range"])
        cut = "/blobs/" in request.path and "Range" not in headers and self.cuts == 0
        async with aiohttp.ClientSession(auto_decompress=False) as session:
            async with session.request(request.method, self.upstream + request.path_qs, headers=headers,
                                       allow_redirects=False) as upstream:
                response = web.StreamResponse(status=upstream.status, headers={
                    k: v for k, v in upstream.headers.items() if k in self.PASSED_HEADERS})
                await response.prepare(request)
                sent = 0
                async for chunk in upstream.content.iter_chunked(16 * 1024):
                    if cut and sent + len(chunk) > self.cut_after:
                        await response.write(chunk[: self.cut_after - sent])
                        self.cuts += 1
                        await asyncio.sleep(0.2)  # the client has read what was sent, then the line drops
                        request.transport.close()
                        return response
                    await response.write(chunk)
                    sent += len(chunk)
                await response.write_eof()
                return response

    async def start(self) -> "CuttingProxy":
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()


class StaticRegistry:
    """A registry that answers GETs with fixed bodies and whatever Content-Type it is told,
    as registries that label manifests loosely (``application/json``, nothing at all) or
    still serve Docker schema 1 do."""

    def __init__(self) -> None:
        self.port = free_port()
        self.files: dict[str, tuple[bytes, str]] = {}
        self._runner: web.AppRunner | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def manifest(self, repo: str, references: list[str], body: bytes, content_type: str) -> None:
        for reference in references:
            self.files[f"/v2/{repo}/manifests/{reference}"] = (body, content_type)

    def blobs(self, repo: str, blobs: dict[str, bytes]) -> None:
        for digest, data in blobs.items():
            self.files[f"/v2/{repo}/blobs/{digest}"] = (data, "application/octet-stream")

    async def _serve(self, request: web.Request) -> web.Response:
        found = self.files.get(request.path)
        if found is None:
            return web.json_response({"errors": [{"code": "NOT_FOUND", "message": request.path}]}, status=404)
        body, content_type = found
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def start(self) -> "StaticRegistry":
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._serve)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
