"""PDQ: Meta's perceptual photo hash, through the pdqhash bindings.

Hashes are identical to python-threatexchange's ``threatexchange hash photo`` for RGB
and greyscale images: same bindings, same pixels, same bit order (first bit most
significant, lowercase hex).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import ClassVar

import numpy as np
import numpy.typing as npt
import pdqhash
from PIL import Image

from fireline.domain import InvalidInput, Signal
from fireline.signals.base import ContentType, IndexKind, PhotoHasher, SignalType
from fireline.signals.media import DecodedImage

_HEX64 = re.compile(r"^[0-9a-f]{64}$")

Pixels = npt.NDArray[np.uint8]

#: The 7 non-trivial rotations and flips, applied to an upload's pixels. A match under
#: one of them means the upload is that transform away from the banked image.
TRANSFORMS: dict[str, Callable[[Pixels], Pixels]] = {
    "rotate90": lambda a: np.rot90(a, 1),
    "rotate180": lambda a: np.rot90(a, 2),
    "rotate270": lambda a: np.rot90(a, 3),
    "flip_vertical": lambda a: a[::-1],
    "flip_horizontal": lambda a: a[:, ::-1],
    "transpose": lambda a: a.transpose(1, 0, 2),
    "transverse": lambda a: np.rot90(a, 2).transpose(1, 0, 2),
}
DIHEDRAL_TRANSFORMS = ("original", *TRANSFORMS)

#: Variants are hashed from at most this many pixels: exact up to it, a few bits off
#: beyond it, at a fraction of the cost of hashing 7 full-size copies.
VARIANT_MAX_PIXELS = 1_000_000


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
    def too_low_quality(cls, quality: int | None) -> bool:
        return quality is not None and quality < cls.min_quality

    @classmethod
    def hash_image(cls, image: DecodedImage) -> Signal:
        bits, quality = pdqhash.compute(image.pixels)
        return Signal(cls.name, _to_hex(bits), int(quality))

    @classmethod
    def hash_image_dihedral(cls, image: DecodedImage) -> dict[str, Signal]:
        # pdqhash.compute_dihedral derives the variants from one pass, but its flips and
        # rotations drift up to ~25 bits from the hash of the really transformed image
        # (its downsampling windows are not symmetric), which eats most of the match
        # threshold. Hashing the transformed pixels is exact.
        original = cls.hash_image(image)
        source = _shrink(image.pixels, VARIANT_MAX_PIXELS)
        variants = {"original": original}
        for name, transform in TRANSFORMS.items():
            bits, _ = pdqhash.compute(np.ascontiguousarray(transform(source)))
            variants[name] = Signal(cls.name, _to_hex(bits), original.quality)
        return variants


def _shrink(pixels: Pixels, max_pixels: int) -> Pixels:
    height, width = pixels.shape[:2]
    if height * width <= max_pixels:
        return pixels
    scale = (max_pixels / (height * width)) ** 0.5
    size = (max(1, int(width * scale)), max(1, int(height * scale)))
    resized = Image.fromarray(pixels).resize(size, Image.Resampling.BOX)
    return np.asarray(resized, dtype=np.uint8)
