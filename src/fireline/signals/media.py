"""Decoding photos under limits, before any hasher sees a pixel.

The pixel limit is checked on the header alone, so a decompression bomb (a tiny file
that claims 30000x30000 pixels) is refused before a byte of it is inflated.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError

from fireline.domain import InvalidInput, MediaTooLarge, UnsupportedMedia


@dataclass(frozen=True, slots=True)
class MediaLimits:
    """Bounds every decoder runs under."""

    max_bytes: int = 64 * 1024 * 1024
    #: Per image, and per video frame.
    max_pixels: int = 64_000_000
    #: Longest video accepted, in seconds of playing time.
    max_duration_s: float = 4 * 3600
    #: Wall-clock seconds decoding (and hashing) one video may take, checked between packets.
    max_decode_s: float = 600
    #: Most pages of a document (PDF) whose text is extracted.
    max_pages: int = 2000
    #: Most characters of text kept from one document (plain text, HTML, PDF, DOCX).
    max_text_chars: int = 20_000_000


@dataclass(frozen=True, slots=True)
class DecodedImage:
    """RGB pixels (height x width x 3, uint8) and where they came from."""

    pixels: npt.NDArray[np.uint8]
    format: str
    width: int
    height: int


_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    TypeError,
    NotImplementedError,
)
#: The only decoders untrusted bytes reach (Pillow's names; JPEG includes camera MPO
#: files). Pillow knows dozens more, some barely maintained, and hands EPS to Ghostscript.
PHOTO_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF")


def check_size(data: bytes, limits: MediaLimits) -> None:
    """Refuse empty content and content over the byte limit."""
    if not data:
        raise InvalidInput("the file is empty (0 bytes)", code="empty_file")
    if len(data) > limits.max_bytes:
        raise MediaTooLarge(
            f"the file is {len(data)} bytes, over the limit of {limits.max_bytes} bytes",
            code="too_many_bytes",
        )


def decode_image(data: bytes, limits: MediaLimits) -> DecodedImage:
    """Decode a photo to RGB pixels, or raise a clear error; never decodes past the limits."""
    check_size(data, limits)
    with warnings.catch_warnings():
        # Our own pixel limit replaces Pillow's process-wide one; silence its warning.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=PHOTO_FORMATS)
        except Image.DecompressionBombError as exc:
            raise _too_many_pixels(None, limits) from exc
        except UnidentifiedImageError as exc:
            raise UnsupportedMedia(
                "the file is not an image in a supported format (JPEG, PNG, GIF, WebP, BMP, TIFF)",
                code="not_an_image",
            ) from exc
        except _DECODE_ERRORS as exc:
            raise UnsupportedMedia(
                f"the image header is corrupt: {exc}", code="corrupt_image"
            ) from exc
        with image:
            width, height = image.size
            if width <= 0 or height <= 0:
                raise UnsupportedMedia("the image has no pixels", code="corrupt_image")
            if width * height > limits.max_pixels:
                raise _too_many_pixels((width, height), limits)
            fmt = image.format or "unknown"
            try:
                image.load()
                if image.mode.startswith("I;16"):
                    # Pillow's RGB conversion clips 16-bit samples at 255; keep the high byte.
                    pixels = (np.asarray(image, dtype=np.uint16) >> 8).astype(np.uint8)
                else:
                    rgb = image if image.mode in ("RGB", "L") else image.convert("RGB")
                    pixels = np.asarray(rgb, dtype=np.uint8)
            except Image.DecompressionBombError as exc:
                raise _too_many_pixels((width, height), limits) from exc
            except _DECODE_ERRORS as exc:
                raise UnsupportedMedia(
                    f"the image is truncated or corrupt and cannot be decoded ({exc})",
                    code="corrupt_image",
                ) from exc
    if pixels.ndim == 2:
        # Greyscale: replicate the channel, exactly as an RGB conversion would.
        pixels = np.repeat(pixels[:, :, np.newaxis], 3, axis=2)
    return DecodedImage(pixels=np.ascontiguousarray(pixels), format=fmt, width=width, height=height)


def _too_many_pixels(size: tuple[int, int] | None, limits: MediaLimits) -> MediaTooLarge:
    if size is None:
        what = "the image has more pixels than"
    else:
        what = f"the image is {size[0]}x{size[1]} ({size[0] * size[1]:,} pixels), over"
    return MediaTooLarge(
        f"{what} the limit of {limits.max_pixels:,} pixels (FIRELINE_MAX_IMAGE_PIXELS); "
        "refused before decoding",
        code="too_many_pixels",
    )
