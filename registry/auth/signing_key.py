"""The token signing key: created on first start, shared through the database.

Tokens carry a libtrust-style ``kid`` (what CNCF Distribution 2.x matches against
its ``rootcertbundle``) and the certificate itself in ``x5c`` (what Distribution 3
verifies), so a stock Distribution configured with ``token.crt`` accepts them too.
"""
from __future__ import annotations

import base64
import datetime
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from registry.core.secrets import SharedSecrets


def libtrust_key_id(public_key) -> str:
    """SHA-256 of the DER SubjectPublicKeyInfo, 240 bits, base32, in groups of four."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    encoded = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(encoded[i:i + 4] for i in range(0, len(encoded), 4))


def _new_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _self_signed(key, common_name: str) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .sign(key, hashes.SHA256()))


@dataclass(frozen=True)
class SigningKey:
    private_key: object
    public_key: object
    kid: str
    certificate_pem: str
    x5c: list[str]

    @classmethod
    async def load(cls, secrets: SharedSecrets) -> "SigningKey":
        key_pem = await secrets.get_or_create("token-key", _new_key_pem)
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)

        def make_cert() -> str:
            return _self_signed(key, "berth token signer").public_bytes(serialization.Encoding.PEM).decode()

        cert_pem = await secrets.get_or_create("token-cert", make_cert)
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
        der = cert.public_bytes(serialization.Encoding.DER)
        return cls(key, key.public_key(), libtrust_key_id(key.public_key()), cert_pem,
                   [base64.b64encode(der).decode()])

    def export(self, data_dir: Path) -> Path:
        """Write token.crt, the certificate a Distribution ``rootcertbundle`` needs."""
        path = data_dir / "token.crt"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self.certificate_pem)
        os.replace(tmp, path)
        return path
