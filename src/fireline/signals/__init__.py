"""Signal types: hashers, canonical forms and distances, found through a registry."""

from fireline.signals.audio import AudioInfo, DecodedAudio, open_audio, open_soundtrack
from fireline.signals.base import (
    AudioHasher,
    BytesHasher,
    ContentType,
    IndexKind,
    PhotoHasher,
    SignalType,
    TextHasher,
    UrlHasher,
    VideoHasher,
)
from fireline.signals.borders import Borders, find_borders, trim_borders
from fireline.signals.media import DecodedImage, MediaLimits, check_size, decode_image
from fireline.signals.registry import ENTRY_POINT_GROUP, SignalRegistry
from fireline.signals.text_extract import TEXT_FORMATS, DecodedText, extract_text, sniff_document
from fireline.signals.url import UrlSignal, canonical_url, find_urls
from fireline.signals.video import (
    DEFAULT_FRAMES_PER_SECOND,
    DecodedVideo,
    VideoFrame,
    VideoInfo,
    open_video,
)

__all__ = [
    "DEFAULT_FRAMES_PER_SECOND",
    "ENTRY_POINT_GROUP",
    "AudioHasher",
    "AudioInfo",
    "Borders",
    "BytesHasher",
    "ContentType",
    "DecodedAudio",
    "DecodedImage",
    "DecodedText",
    "DecodedVideo",
    "IndexKind",
    "MediaLimits",
    "PhotoHasher",
    "SignalRegistry",
    "SignalType",
    "TEXT_FORMATS",
    "TextHasher",
    "UrlSignal",
    "UrlHasher",
    "VideoFrame",
    "VideoHasher",
    "VideoInfo",
    "canonical_url",
    "check_size",
    "decode_image",
    "extract_text",
    "find_urls",
    "find_borders",
    "open_audio",
    "open_soundtrack",
    "open_video",
    "sniff_document",
    "trim_borders",
]
