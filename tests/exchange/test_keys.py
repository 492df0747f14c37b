"""Instance keys: public key text, fingerprints, signatures and signed-request messages."""

from __future__ import annotations

import base64
import hashlib

import pytest

from fireline.domain import InvalidInput
from fireline.exchange import (
    InstanceKey,
    fingerprint,
    parse_public_key,
    request_message,
    verify_signature,
)

# RFC 8032, section 7.1, test 1: a fixed secret, its public key and its empty-message signature.
RFC_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC_SIGNATURE = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


RFC_KEY_TEXT = "ed25519:" + b64(RFC_PUBLIC)


def test_a_known_secret_gives_its_known_public_key_fingerprint_and_signature() -> None:
    key = InstanceKey(RFC_SECRET)
    assert key.public_key == RFC_KEY_TEXT
    assert key.fingerprint == hashlib.sha256(RFC_PUBLIC).hexdigest()[:16]
    assert key.sign(b"") == b64(RFC_SIGNATURE)
    assert key.secret == RFC_SECRET


def test_a_generated_key_round_trips_through_its_secret_and_text() -> None:
    key = InstanceKey.generate()
    again = InstanceKey(key.secret)
    assert (again.public_key, again.fingerprint) == (key.public_key, key.fingerprint)
    assert parse_public_key(key.public_key) == key.public_key
    assert fingerprint(key.public_key) == key.fingerprint
    assert len(key.fingerprint) == 16 and int(key.fingerprint, 16) >= 0
    assert InstanceKey.generate().public_key != key.public_key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (RFC_KEY_TEXT, RFC_KEY_TEXT),
        (RFC_KEY_TEXT + "=", RFC_KEY_TEXT),  # padding is accepted and dropped
    ],
)
def test_public_key_text_is_made_canonical(text: str, expected: str) -> None:
    assert parse_public_key(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ed25519:",
        b64(RFC_PUBLIC),
        "ssh-ed25519 " + b64(RFC_PUBLIC),
        "ED25519:" + b64(RFC_PUBLIC),
        "ed25519:" + b64(RFC_PUBLIC[:31]),
        "ed25519:" + b64(RFC_PUBLIC + b"\x00"),
        "ed25519:" + b64(bytes(64)),
        "ed25519:" + "A" * 300,
        "ed25519:!!!!",
        "ed25519:" + b64(RFC_PUBLIC)[:-1] + "\u00e9",
        "ed25519:" + b64(RFC_PUBLIC)[:-2],
        None,
        32,
    ],
    ids=[
        "empty",
        "prefix-only",
        "no-prefix",
        "ssh-form",
        "upper-prefix",
        "31-bytes",
        "33-bytes",
        "64-bytes",
        "too-long",
        "not-base64",
        "non-ascii",
        "truncated",
        "none",
        "int",
    ],
)
def test_bad_public_keys_are_refused(text: object) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_public_key(text)  # type: ignore[arg-type]
    assert raised.value.code == "invalid_key"
    assert verify_signature(text, b"", b64(RFC_SIGNATURE)) is False  # type: ignore[arg-type]


def test_fingerprint_of_a_bad_key_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        fingerprint("ed25519:short")
    assert raised.value.code == "invalid_key"


@pytest.mark.parametrize("size", [0, 31, 33, 64])
def test_a_secret_is_32_bytes(size: int) -> None:
    with pytest.raises(ValueError):
        InstanceKey(bytes(size))


def flip_first(text: str) -> str:
    """The same text with its first character changed (never the last: base64's final
    character carries padding bits that a decoder may ignore)."""
    return ("B" if text[0] == "A" else "A") + text[1:]


SIGNER = InstanceKey(b"\x01" * 32)  # fixed keys: the same test ids in every xdist worker
OTHER = InstanceKey(b"\x02" * 32)
MESSAGE = b"fireline batch body"


@pytest.mark.parametrize(
    ("public_key", "message", "signature", "expected"),
    [
        (SIGNER.public_key, MESSAGE, SIGNER.sign(MESSAGE), True),
        (SIGNER.public_key + "=", MESSAGE, SIGNER.sign(MESSAGE), True),
        (SIGNER.public_key, MESSAGE + b" ", SIGNER.sign(MESSAGE), False),
        (SIGNER.public_key, b"", SIGNER.sign(MESSAGE), False),
        (OTHER.public_key, MESSAGE, SIGNER.sign(MESSAGE), False),
        (SIGNER.public_key, MESSAGE, OTHER.sign(MESSAGE), False),
        (SIGNER.public_key, MESSAGE, flip_first(SIGNER.sign(MESSAGE)), False),
        (SIGNER.public_key, MESSAGE, SIGNER.sign(MESSAGE)[:-4], False),
        (SIGNER.public_key, MESSAGE, SIGNER.sign(MESSAGE) + "AAAA", False),
        (SIGNER.public_key, MESSAGE, "", False),
        (SIGNER.public_key, MESSAGE, "!" * 86, False),
        (SIGNER.public_key, MESSAGE, "A" * 500, False),
        ("ed25519:nonsense", MESSAGE, SIGNER.sign(MESSAGE), False),
    ],
    ids=[
        "good",
        "padded-key",
        "other-message",
        "empty-message",
        "other-key",
        "signed-by-other",
        "flipped-signature",
        "short-signature",
        "long-signature",
        "empty-signature",
        "not-base64",
        "huge-signature",
        "bad-key",
    ],
)
def test_verify_signature(public_key: str, message: bytes, signature: str, expected: bool) -> None:
    assert verify_signature(public_key, message, signature) is expected


BODY_DIGEST = hashlib.sha256(b'{"a":1}').hexdigest()
EMPTY_DIGEST = hashlib.sha256(b"").hexdigest()
DATE = "2026-11-23T10:00:00Z"


@pytest.mark.parametrize(
    ("method", "target", "body", "expected"),
    [
        (
            "GET",
            "/exchange/v1/banks/tvec/feed?after=3",
            b"",
            f"fireline-request/1\nGET\n/exchange/v1/banks/tvec/feed?after=3\n{DATE}\n"
            f"{EMPTY_DIGEST}".encode(),
        ),
        (
            "post",
            "/exchange/v1/banks/tvec/contributions",
            b'{"a":1}',
            f"fireline-request/1\nPOST\n/exchange/v1/banks/tvec/contributions\n{DATE}\n"
            f"{BODY_DIGEST}".encode(),
        ),
    ],
)
def test_request_message_is_stable(method: str, target: str, body: bytes, expected: bytes) -> None:
    assert request_message(method, target, DATE, body) == expected
    assert request_message(method, target, DATE, body) == request_message(
        method.upper(), target, DATE, body
    )


@pytest.mark.parametrize(
    "changed",
    [
        ("PUT", "/feed", DATE, b"{}"),
        ("POST", "/feed?after=1", DATE, b"{}"),
        ("POST", "/feed", "2026-11-23T10:00:01Z", b"{}"),
        ("POST", "/feed", DATE, b"{ }"),
    ],
    ids=["method", "target", "date", "body"],
)
def test_a_signed_request_covers_method_target_date_and_body(
    changed: tuple[str, str, str, bytes],
) -> None:
    signature = SIGNER.sign(request_message("POST", "/feed", DATE, b"{}"))
    assert verify_signature(
        SIGNER.public_key, request_message("POST", "/feed", DATE, b"{}"), signature
    )
    assert not verify_signature(SIGNER.public_key, request_message(*changed), signature)
