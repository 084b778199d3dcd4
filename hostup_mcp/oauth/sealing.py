"""Sealed values: JSON sealed with AES-256-GCM under a ring of keys, so anything a token says (the HostUp key
above all) can only be read and can only have been written by a server holding one of the ring's secrets.

Each ring secret (HOSTUP_MCP_STATE_SECRET) yields one key per purpose through HKDF: an access token cannot be
passed off as a refresh token or a code, and the secret that seals delete confirmations seals nothing else under
the same key. The first secret seals; every one opens, so replicas rotate by putting a new secret first.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
KEY_ID_BYTES = 4


class Sealer:
    def __init__(self, secrets: list[bytes], purpose: str) -> None:
        if not secrets:
            raise ValueError("a sealer needs at least one secret")
        self.purpose = purpose.encode()
        self.keys = [derive(secret, self.purpose) for secret in secrets]

    def seal(self, document: dict[str, Any]) -> str:
        key_id, key = self.keys[0]
        nonce = os.urandom(NONCE_BYTES)
        plain = json.dumps(document, separators=(",", ":")).encode()
        sealed = key_id + nonce + AESGCM(key).encrypt(nonce, plain, self.purpose)
        return base64.urlsafe_b64encode(sealed).decode().rstrip("=")

    def open(self, token: str) -> dict[str, Any] | None:
        """The document, or None for anything not sealed by this ring for this purpose (tampered, foreign, cut)."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            return None
        key_id, nonce = raw[:KEY_ID_BYTES], raw[KEY_ID_BYTES : KEY_ID_BYTES + NONCE_BYTES]
        ciphertext = raw[KEY_ID_BYTES + NONCE_BYTES :]
        for candidate_id, key in self.keys:
            if candidate_id != key_id:
                continue
            try:
                document = json.loads(AESGCM(key).decrypt(nonce, ciphertext, self.purpose))
            except (InvalidTag, ValueError):
                return None
            return document if isinstance(document, dict) else None
        return None


def derive(secret: bytes, purpose: bytes) -> tuple[bytes, bytes]:
    """(key id, key): the id names the key in each sealed value without saying anything about it."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"hostup-mcp oauth", info=purpose).derive(secret)
    return hashlib.sha256(key).digest()[:KEY_ID_BYTES], key
