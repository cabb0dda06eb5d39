"""Sealing secrets Berth must read back (CLI secrets, provider refresh tokens) with AES-GCM.

A CLI secret is shown to its owner whenever they ask, as Harbor does, so it cannot be
hashed; a stolen database without the shared sealing key gives neither away.
"""
from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class Sealer:
    def __init__(self, key_hex: str) -> None:
        self._aead = AESGCM(bytes.fromhex(key_hex))

    @staticmethod
    def new_key() -> str:
        return os.urandom(32).hex()

    def seal(self, plain: str) -> str:
        nonce = os.urandom(12)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, plain.encode(), None)).decode()

    def unseal(self, sealed: str) -> str | None:
        """The plain text, or None when ``sealed`` is empty, damaged or sealed with another key."""
        try:
            raw = base64.b64decode(sealed)
            return self._aead.decrypt(raw[:12], raw[12:], None).decode()
        except (ValueError, InvalidTag):
            return None
