"""Cryptographic digests of a file's bytes: exact matches only."""

from __future__ import annotations

import hashlib
import re
from typing import ClassVar

from fireline.domain import InvalidInput, Signal
from fireline.signals.base import BytesHasher, ContentType, IndexKind, SignalType


class _DigestSignal(SignalType, BytesHasher):
    content_types: ClassVar[frozenset[ContentType]] = frozenset(
        {ContentType.PHOTO, ContentType.TEXT, ContentType.FILE}
    )
    index_kind: ClassVar[IndexKind] = IndexKind.EXACT
    default_threshold: ClassVar[int] = 0
    algorithm: ClassVar[str]
    hex_length: ClassVar[int]

    @classmethod
    def validate(cls, value: str) -> str:
        canonical = value.strip().lower()
        if not re.fullmatch(rf"[0-9a-f]{{{cls.hex_length}}}", canonical):
            raise InvalidInput(
                f"a {cls.name} hash is {cls.hex_length} hexadecimal characters; got {value[:80]!r}",
                code="malformed_signal",
            )
        return canonical

    @classmethod
    def compare(cls, a: str, b: str) -> int:
        return 0 if a == b else 1

    @classmethod
    def hash_bytes(cls, data: bytes) -> Signal:
        return Signal(cls.name, hashlib.new(cls.algorithm, data).hexdigest())


class Md5Signal(_DigestSignal):
    name: ClassVar[str] = "md5"
    algorithm: ClassVar[str] = "md5"
    hex_length: ClassVar[int] = 32


class Sha256Signal(_DigestSignal):
    name: ClassVar[str] = "sha256"
    algorithm: ClassVar[str] = "sha256"
    hex_length: ClassVar[int] = 64


class VideoMd5Signal(_DigestSignal):
    """MD5 of a video file's bytes: python-threatexchange's ``video_md5``.

    Kept apart from ``md5`` so that a video's exact hash is banked and matched as a
    video's, as python-threatexchange and HMA do.
    """

    name: ClassVar[str] = "video_md5"
    content_types: ClassVar[frozenset[ContentType]] = frozenset({ContentType.VIDEO})
    algorithm: ClassVar[str] = "md5"
    hex_length: ClassVar[int] = 32
