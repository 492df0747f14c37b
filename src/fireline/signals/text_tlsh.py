"""text_tlsh: TLSH of a text, as python-threatexchange and HMA compute it.

TLSH (Trend Micro's locality-sensitive hash, the ``py-tlsh`` bindings) of the text's
UTF-8 bytes, with no normalisation, so that a text hashed here and by
``threatexchange``'s ``text_tlsh`` extension gives the same string, and the distance is
theirs too (``diffxlen``: the length byte is ignored), with their threshold of 30.
Normalised, evasion-proof matching of texts is ``text_minhash``'s job.

The distance is also computed on arrays (``distances``) for the index: a table of
per-byte distances over the hash body, plus the header's terms, which a test checks
against ``tlsh.diffxlen`` itself.
"""

from __future__ import annotations

import re
from functools import cache
from typing import ClassVar

import numpy as np
import numpy.typing as npt
import tlsh

from fireline.domain import InvalidInput, Signal
from fireline.signals.base import ContentType, IndexKind, SignalType, TextHasher
from fireline.signals.text_extract import DecodedText

_FORM = re.compile(r"^T1[0-9A-F]{70}$")
#: Bytes of a hash: checksum, length, the two quartile ratios, then 32 body bytes.
HASH_BYTES = 35


class TextTlshSignal(SignalType, TextHasher):
    """TLSH of a text's UTF-8 bytes: ``T1`` and 70 uppercase hex digits."""

    name: ClassVar[str] = "text_tlsh"
    content_types: ClassVar[frozenset[ContentType]] = frozenset({ContentType.TEXT})
    index_kind: ClassVar[IndexKind] = IndexKind.DISTANCE
    #: python-threatexchange's TLSH_CONFIDENT_MATCH_THRESHOLD.
    default_threshold: ClassVar[int] = 30
    #: Long texts in one language have similar TLSH histograms, so unrelated ones come
    #: within 30 of each other; where both texts have passages, text_minhash decides.
    defers_to: ClassVar[str | None] = "text_minhash"

    @classmethod
    def validate(cls, value: str) -> str:
        canonical = value.strip().upper()
        if not _FORM.match(canonical):
            raise InvalidInput(
                "a text_tlsh signal is 'T1' followed by 70 hex digits", code="malformed_signal"
            )
        return canonical

    @classmethod
    def compare(cls, a: str, b: str) -> int:
        return int(tlsh.diffxlen(a, b))

    @classmethod
    def hash_text(cls, text: DecodedText) -> Signal:
        value = tlsh.hash(text.text.encode("utf-8"))
        if not _FORM.match(value):  # "TNULL": too short, or too little variety
            raise InvalidInput(
                "the text is too short or too uniform for TLSH (it needs at least 50 bytes "
                "with some variety)",
                code="text_too_short",
            )
        return Signal(cls.name, value)


def to_bytes(values: list[str]) -> npt.NDArray[np.uint8]:
    """Canonical hashes as rows of HASH_BYTES bytes (the hex after ``T1``)."""
    if not values:
        return np.zeros((0, HASH_BYTES), dtype=np.uint8)
    joined = bytes.fromhex("".join(v[2:] for v in values))
    return np.frombuffer(joined, dtype=np.uint8).reshape(len(values), HASH_BYTES)


def distances(query: npt.NDArray[np.uint8], rows: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
    """``diffxlen`` between one hash (HASH_BYTES bytes) and each row, on arrays."""
    body: npt.NDArray[np.int64] = _body_table()[query[3:][None, :], rows[:, 3:]].sum(
        axis=1, dtype=np.int64
    )
    checksum = (rows[:, 0] != query[0]).astype(np.int64)
    ratios = rows[:, 2].astype(np.int64)
    mine = int(query[2])
    high = _ratio_term(mine >> 4, ratios >> 4)
    low = _ratio_term(mine & 0x0F, ratios & 0x0F)
    total: npt.NDArray[np.int64] = body + checksum + high + low
    return total


def _ratio_term(a: int, b: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """A quartile ratio's part: its circular distance mod 16, steeply past 1."""
    diff = np.abs(b - a)
    diff = np.minimum(diff, 16 - diff)
    term: npt.NDArray[np.int64] = np.where(diff <= 1, diff, (diff - 1) * 12)
    return term


@cache
def _body_table() -> npt.NDArray[np.int64]:
    """Distance between two body bytes: over their four 2-bit buckets, 3 apart costs 6."""
    values = np.arange(256)
    table = np.zeros((256, 256), dtype=np.int64)
    for shift in (0, 2, 4, 6):
        x = (values[:, None] >> shift) & 3
        y = (values[None, :] >> shift) & 3
        diff = np.abs(x - y)
        table += np.where(diff == 3, 6, diff)
    table.flags.writeable = False  # shared by every call: cached
    return table
