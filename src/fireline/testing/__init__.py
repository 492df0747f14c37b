"""Public test helpers: the signal-type contract and synthetic, benign media.

Plugin authors use these too: a new signal type's tests subclass
``SignalTypeContract`` and hash images from ``random_photo``.
"""

from fireline.testing.contract import SignalTypeContract, flip_bits, random_hex
from fireline.testing.media import (
    EDIT_KINDS,
    EditKind,
    ImageFormat,
    decode,
    edited,
    encode,
    flat_image,
    png_bomb,
    random_photo,
    truncated_jpeg,
)

__all__ = [
    "EDIT_KINDS",
    "EditKind",
    "ImageFormat",
    "SignalTypeContract",
    "decode",
    "edited",
    "encode",
    "flat_image",
    "flip_bits",
    "png_bomb",
    "random_hex",
    "random_photo",
    "truncated_jpeg",
]
