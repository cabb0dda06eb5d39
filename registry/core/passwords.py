"""Hashing and checking secrets, always in constant time.

Passwords people choose get scrypt, a slow memory-hard KDF, so a stolen database
does not give them away. Robot secrets are 32 random characters made by Berth; a
salted HMAC-SHA256 is as safe for those and keeps robot logins cheap.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_MAXMEM = 64 * 1024 * 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=_MAXMEM)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    return f"hmac256${_b64(salt)}${_b64(hmac.new(salt, secret.encode(), hashlib.sha256).digest())}"


def verify(secret: str, stored: str) -> bool:
    """True when ``secret`` matches ``stored``; malformed hashes never match."""
    try:
        scheme, *parts = stored.split("$")
        if scheme == "scrypt":
            n, r, p, salt, key = parts
            actual = hashlib.scrypt(secret.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                                    maxmem=_MAXMEM)
            return hmac.compare_digest(actual, base64.b64decode(key))
        if scheme == "hmac256":
            salt, digest = parts
            actual = hmac.new(base64.b64decode(salt), secret.encode(), hashlib.sha256).digest()
            return hmac.compare_digest(actual, base64.b64decode(digest))
    except (ValueError, TypeError):
        return False
    return False


def same(given: str, expected: str) -> bool:
    """Two secrets in clear compared in constant time."""
    return hmac.compare_digest(given.encode(), expected.encode())


# Checked when the user does not exist, so that timing does not tell who does.
DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def random_secret(length: int = 32) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def password_is_strong(password: str) -> bool:
    """Harbor's rule: 8–128 characters with an upper-case letter, a lower-case letter and a digit."""
    return (8 <= len(password) <= 128 and any(c.isupper() for c in password)
            and any(c.islower() for c in password) and any(c.isdigit() for c in password))
