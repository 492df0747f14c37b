"""Telling what kind of content some bytes are, so callers need not say.

Photos are recognised by Pillow from their header (no pixel is decoded), among the
formats fireline decodes; PDF and DOCX documents by their own signatures. Anything else
is probed by PyAV among the whitelisted containers: a video stream makes it a video, an
audio stream only makes it audio. What remains is text when it reads as text (plain
text or HTML), and otherwise a plain file, hashed by its bytes. Detection never
fails: damaged content is refused later, by the decoder its kind leads to, with the
same errors as when the kind is given.
"""

from __future__ import annotations

import io
import warnings

import av
from PIL import Image

from fireline.signals.base import ContentType
from fireline.signals.media import PHOTO_FORMATS
from fireline.signals.text_extract import sniff_document
from fireline.signals.video import VIDEO_FORMATS

#: Audio-only containers probed besides the video ones (FFmpeg's names).
AUDIO_FORMATS = "mp3,wav,flac,aac,ogg,matroska,webm,mov,mp4,m4a"

#: The signatures of the photo formats fireline decodes (JPEG, PNG, GIF, TIFF; not BMP,
#: whose "BM" starts too many texts).
_PHOTO_MAGIC = (
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",
    b"MM\x00*",
)

#: Bytes of a file probed: enough for any container header we accept.
_PROBE_BYTES = 4 * 1024 * 1024


def sniff_content_type(data: bytes) -> ContentType:
    """PHOTO, VIDEO, AUDIO, TEXT (plain text, HTML, PDF, DOCX) or FILE, from the header."""
    if _is_photo(data) or data.startswith(_PHOTO_MAGIC):
        # A photo's signature with a header Pillow refuses is a damaged photo, refused
        # as one (corrupt_image), not read as text in some 8-bit encoding.
        return ContentType.PHOTO
    document = sniff_document(data)
    if document in ("pdf", "docx"):
        return ContentType.TEXT  # told by their own signatures, before any media probe
    streams = _streams(data)
    if "video" in streams:
        return ContentType.VIDEO
    if "audio" in streams:
        return ContentType.AUDIO
    return ContentType.FILE if document is None else ContentType.TEXT


def _is_photo(data: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data), formats=PHOTO_FORMATS) as image:
                return image.format in PHOTO_FORMATS
    except Exception:  # any refusal means "not a photo we decode"
        return False


def _streams(data: bytes) -> set[str]:
    # Probing reads the whole of a short file, or the first few MiB of a long one; a
    # header that needs more is treated as not a media file.
    sample = data if len(data) <= _PROBE_BYTES else data[:_PROBE_BYTES]
    try:
        with av.open(
            io.BytesIO(sample),
            mode="r",
            options={
                "format_whitelist": f"{VIDEO_FORMATS},{AUDIO_FORMATS}",
                "protocol_whitelist": "none",
            },
        ) as container:
            kinds = set()
            for stream in container.streams:
                if stream.type == "video" and not _cover_art(stream):
                    kinds.add("video")
                elif stream.type == "audio":
                    kinds.add("audio")
            return kinds
    except Exception:  # any refusal means "not a container we decode"
        return set()


def _cover_art(stream: av.stream.Stream) -> bool:
    """An MP3's or M4A's embedded picture shows up as a one-frame video stream."""
    return bool(stream.disposition & av.stream.Disposition.attached_pic)
