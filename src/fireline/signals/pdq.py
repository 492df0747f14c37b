"""PDQ: Meta's perceptual photo hash, through the pdqhash bindings.

Hashes are identical to python-threatexchange's ``threatexchange hash photo`` for RGB
and greyscale images: same bindings, same pixels, same bit order (first bit most
significant, lowercase hex).
"""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np
import numpy.typing as npt
import pdqhash

from fireline.domain import InvalidInput, Signal
from fireline.signals.base import ContentType, IndexKind, PhotoHasher, SignalType
from fireline.signals.media import DecodedImage

_HEX64 = re.compile(r"^[0-9a-f]{64}$")

#: pdqhash.compute_dihedral's output order.
DIHEDRAL_TRANSFORMS = (
    "original",
    "rotate90",
    "rotate180",
    "rotate270",
    "flip_vertical",
    "flip_horizontal",
    "rotate90_flip_vertical",
    "rotate90_flip_horizontal",
)


def _to_hex(bits: npt.NDArray[np.int64]) -> str:
    return bytes(np.packbits(bits.astype(np.uint8))).hex()


class PdqSignal(SignalType, PhotoHasher):
    name: ClassVar[str] = "pdq"
    content_types: ClassVar[frozenset[ContentType]] = frozenset({ContentType.PHOTO})
    index_kind: ClassVar[IndexKind] = IndexKind.HAMMING
    default_threshold: ClassVar[int] = 31
    bits: ClassVar[int] = 256
    #: Hashes of lower quality come from flat or featureless images and collide easily.
    min_quality: ClassVar[int] = 50

    @classmethod
    def validate(cls, value: str) -> str:
        canonical = value.strip().lower()
        if not _HEX64.match(canonical):
            raise InvalidInput(
                f"a pdq hash is 64 hexadecimal characters; got {value[:80]!r}",
                code="malformed_signal",
            )
        return canonical

    @classmethod
    def compare(cls, a: str, b: str) -> int:
        return (int(a, 16) ^ int(b, 16)).bit_count()

    @classmethod
    def validate_quality(cls, quality: int | None) -> int | None:
        if quality is not None and not 0 <= quality <= 100:
            raise InvalidInput(f"pdq quality is 0-100; got {quality}", code="malformed_signal")
        return quality

    @classmethod
    def too_low_quality(cls, quality: int | None) -> bool:
        return quality is not None and quality < cls.min_quality

    @classmethod
    def hash_image(cls, image: DecodedImage) -> Signal:
        bits, quality = pdqhash.compute(image.pixels)
        return Signal(cls.name, _to_hex(bits), int(quality))

    @classmethod
    def hash_image_dihedral(cls, image: DecodedImage) -> dict[str, Signal]:
        vectors, quality = pdqhash.compute_dihedral(image.pixels)
        return {
            transform: Signal(cls.name, _to_hex(bits), int(quality))
            for transform, bits in zip(DIHEDRAL_TRANSFORMS, vectors, strict=True)
        }
