"""Public test helpers: the signal-type contract and synthetic, benign media.

Plugin authors use these too: a new signal type's tests subclass
``SignalTypeContract`` and hash images from ``random_photo`` and videos from
``synthetic_video``.
"""

from fireline.testing.contract import SignalTypeContract, flip_bits, random_hex
from fireline.testing.media import (
    EDIT_KINDS,
    EditKind,
    ImageFormat,
    VideoBorder,
    audio_only,
    decode,
    edited,
    empty_video,
    encode,
    flat_image,
    long_video,
    png_bomb,
    random_photo,
    synthetic_frame,
    synthetic_video,
    truncated_jpeg,
    truncated_video,
)

__all__ = [
    "EDIT_KINDS",
    "EditKind",
    "ImageFormat",
    "SignalTypeContract",
    "VideoBorder",
    "audio_only",
    "decode",
    "edited",
    "empty_video",
    "encode",
    "flat_image",
    "flip_bits",
    "long_video",
    "png_bomb",
    "random_hex",
    "random_photo",
    "synthetic_frame",
    "synthetic_video",
    "truncated_jpeg",
    "truncated_video",
]
