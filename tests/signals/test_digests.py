"""MD5 and SHA-256 of a file's bytes: the signal-type contract and known digests."""

from __future__ import annotations

import hashlib
import random

import pytest

from fireline.domain import Signal
from fireline.signals.digests import Md5Signal, Sha256Signal
from fireline.testing import SignalTypeContract, random_hex

MD5_EMPTY = "d41d8cd98f00b204e9800998ecf8427e"
MD5_ABC = "900150983cd24fb0d6963f7d28e17f72"
SHA256_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


class TestMd5Contract(SignalTypeContract):
    signal_type = Md5Signal
    valid_cases = [
        (MD5_ABC, MD5_ABC),
        (MD5_ABC.upper(), MD5_ABC),
        (f"\t{MD5_EMPTY} ", MD5_EMPTY),
        ("0" * 32, "0" * 32),
    ]
    invalid_cases = [
        "",
        MD5_ABC[:-1],
        MD5_ABC + "0",
        SHA256_ABC,
        "z" * 32,
        "0x" + MD5_ABC[2:],
        MD5_ABC[:16] + " " + MD5_ABC[17:],
    ]
    far_pairs = [(MD5_ABC, MD5_EMPTY)]

    def random_signal(self, rng: random.Random) -> str:
        return random_hex(rng, 128)


class TestSha256Contract(SignalTypeContract):
    signal_type = Sha256Signal
    valid_cases = [
        (SHA256_ABC, SHA256_ABC),
        (SHA256_ABC.upper(), SHA256_ABC),
        (f"{SHA256_EMPTY}\n", SHA256_EMPTY),
    ]
    invalid_cases = [
        "",
        SHA256_ABC[:-1],
        SHA256_ABC + "0",
        MD5_ABC,
        "g" * 64,
        SHA256_ABC[:32] + "-" + SHA256_ABC[33:],
    ]
    far_pairs = [(SHA256_ABC, SHA256_EMPTY)]

    def random_signal(self, rng: random.Random) -> str:
        return random_hex(rng, 256)


@pytest.mark.parametrize(
    ("signal_type", "data", "expected"),
    [
        (Md5Signal, b"", MD5_EMPTY),
        (Md5Signal, b"abc", MD5_ABC),
        (Sha256Signal, b"", SHA256_EMPTY),
        (Sha256Signal, b"abc", SHA256_ABC),
        (Sha256Signal, b"\x00" * 1000, hashlib.sha256(b"\x00" * 1000).hexdigest()),
    ],
)
def test_digest_of_known_bytes(
    signal_type: type[Md5Signal | Sha256Signal], data: bytes, expected: str
) -> None:
    assert signal_type.hash_bytes(data) == Signal(signal_type.name, expected, None)


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [(MD5_ABC, MD5_ABC, 0), (MD5_ABC, MD5_EMPTY, 1), (SHA256_ABC, SHA256_EMPTY, 1)],
)
def test_digests_match_only_when_identical(a: str, b: str, distance: int) -> None:
    assert Md5Signal.compare(a, b) == distance
    assert Md5Signal.default_threshold == 0
