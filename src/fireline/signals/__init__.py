"""Signal types: hashers, canonical forms and distances, found through a registry."""

from fireline.signals.base import BytesHasher, ContentType, IndexKind, PhotoHasher, SignalType
from fireline.signals.media import DecodedImage, MediaLimits, check_size, decode_image
from fireline.signals.registry import ENTRY_POINT_GROUP, SignalRegistry

__all__ = [
    "ENTRY_POINT_GROUP",
    "BytesHasher",
    "ContentType",
    "DecodedImage",
    "IndexKind",
    "MediaLimits",
    "PhotoHasher",
    "SignalRegistry",
    "SignalType",
    "check_size",
    "decode_image",
]
