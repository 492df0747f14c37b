"""Ed25519 identities: an instance's key pair, public key text, fingerprints, request signing.

A public key is written ``ed25519:`` + the 32 raw bytes in unpadded base64url. An
instance's fingerprint (the first 16 hex digits of the SHA-256 of those bytes) names it
in entry uids (``<fingerprint>:<entry id>``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from fireline.domain import InvalidInput

_PREFIX = "ed25519:"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text or len(text) > 200 or not text.isascii():
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_public_key(text: str) -> str:
    """The canonical text of a public key; InvalidInput when it is not one."""
    if not isinstance(text, str) or not text.startswith(_PREFIX):
        raise InvalidInput(
            f"a public key is written {_PREFIX}<base64url of 32 bytes>", code="invalid_key"
        )
    try:
        raw = _unb64(text.removeprefix(_PREFIX))
    except (ValueError, binascii.Error):
        raise InvalidInput("the public key is not base64url", code="invalid_key") from None
    if len(raw) != 32:
        raise InvalidInput("an Ed25519 public key is 32 bytes", code="invalid_key")
    return _PREFIX + _b64(raw)


def fingerprint(public_key: str) -> str:
    """16 hex digits naming the instance that holds ``public_key``."""
    raw = _unb64(parse_public_key(public_key).removeprefix(_PREFIX))
    return hashlib.sha256(raw).hexdigest()[:16]


def verify_signature(public_key: str, message: bytes, signature: str) -> bool:
    """Whether ``signature`` (base64url) is the key's signature of ``message``."""
    try:
        raw = _unb64(parse_public_key(public_key).removeprefix(_PREFIX))
        Ed25519PublicKey.from_public_bytes(raw).verify(_unb64(signature), message)
    except (InvalidSignature, InvalidInput, ValueError, binascii.Error, TypeError):
        return False
    return True


def request_message(method: str, target: str, date: str, body: bytes) -> bytes:
    """What a peer signs to authenticate one HTTP request (target: path and query)."""
    digest = hashlib.sha256(body).hexdigest()
    return f"fireline-request/1\n{method.upper()}\n{target}\n{date}\n{digest}".encode()


class InstanceKey:
    """This instance's private key; ``secret`` (32 bytes) is what the store keeps."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) != 32:
            raise ValueError("an Ed25519 private key is 32 bytes")
        self._key = Ed25519PrivateKey.from_private_bytes(secret)
        raw = self._key.public_key().public_bytes_raw()
        self.public_key = _PREFIX + _b64(raw)
        self.fingerprint = hashlib.sha256(raw).hexdigest()[:16]

    @classmethod
    def generate(cls) -> InstanceKey:
        return cls(Ed25519PrivateKey.generate().private_bytes_raw())

    @property
    def secret(self) -> bytes:
        return self._key.private_bytes_raw()

    def sign(self, message: bytes) -> str:
        """The base64url signature of ``message``."""
        return _b64(self._key.sign(message))
