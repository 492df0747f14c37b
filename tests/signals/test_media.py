"""Decoding photos under limits: every bad input gets its own error class and code."""

from __future__ import annotations

import io
import resource

import numpy as np
import pytest
from PIL import Image

from fireline.domain import FirelineError, InvalidInput, MediaTooLarge, UnsupportedMedia
from fireline.signals import MediaLimits, check_size, decode_image
from fireline.testing import ImageFormat, encode, png_bomb, random_photo, truncated_jpeg

SMALL_PNG = encode(random_photo(1, size=(64, 48)), "PNG")


@pytest.mark.parametrize(
    ("data", "limits", "error", "code"),
    [
        (b"", MediaLimits(), InvalidInput, "empty_file"),
        (
            b"hello, this is plain text and not a photo",
            MediaLimits(),
            UnsupportedMedia,
            "not_an_image",
        ),
        (b"%PDF-1.7\n" + bytes(200), MediaLimits(), UnsupportedMedia, "not_an_image"),
        (truncated_jpeg(3), MediaLimits(), UnsupportedMedia, "corrupt_image"),
        (SMALL_PNG[: len(SMALL_PNG) // 2], MediaLimits(), UnsupportedMedia, "corrupt_image"),
        (png_bomb(), MediaLimits(), MediaTooLarge, "too_many_pixels"),
        (png_bomb(12000, 9000), MediaLimits(), MediaTooLarge, "too_many_pixels"),
        (png_bomb(2000, 1000), MediaLimits(max_pixels=1_000_000), MediaTooLarge, "too_many_pixels"),
        (SMALL_PNG, MediaLimits(max_pixels=64 * 48 - 1), MediaTooLarge, "too_many_pixels"),
        (SMALL_PNG, MediaLimits(max_bytes=len(SMALL_PNG) - 1), MediaTooLarge, "too_many_bytes"),
    ],
    ids=[
        "empty",
        "text",
        "pdf",
        "truncated-jpeg",
        "truncated-png",
        "bomb-30000x30000",
        "bomb-12000x9000",
        "over-configured-pixels",
        "one-pixel-over",
        "one-byte-over",
    ],
)
def test_bad_input_gets_a_clear_error(
    data: bytes, limits: MediaLimits, error: type[FirelineError], code: str
) -> None:
    with pytest.raises(error) as caught:
        decode_image(data, limits)
    assert type(caught.value) is error
    assert caught.value.code == code
    assert caught.value.message


def test_decompression_bomb_is_refused_from_its_header() -> None:
    bomb = png_bomb(30000, 30000)
    assert len(bomb) < 1024
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(MediaTooLarge) as caught:
        decode_image(bomb, MediaLimits())
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert "refused before decoding" in caught.value.message
    # 2.7 GB of pixels were never allocated (ru_maxrss is in KiB on Linux).
    assert after - before < 64 * 1024


@pytest.mark.parametrize(
    ("limits", "size", "allowed"),
    [
        (MediaLimits(max_bytes=10), 10, True),
        (MediaLimits(max_bytes=10), 11, False),
        (MediaLimits(max_bytes=1), 1, True),
    ],
)
def test_byte_limit_is_inclusive(limits: MediaLimits, size: int, allowed: bool) -> None:
    if allowed:
        check_size(b"x" * size, limits)
    else:
        with pytest.raises(MediaTooLarge):
            check_size(b"x" * size, limits)


def test_pixel_limit_is_inclusive() -> None:
    decoded = decode_image(SMALL_PNG, MediaLimits(max_pixels=64 * 48))
    assert (decoded.width, decoded.height) == (64, 48)


# (Pillow mode, file format): every one decodes to height x width x 3 uint8 RGB.
MODES: list[tuple[str, ImageFormat]] = [
    ("RGB", "PNG"),
    ("RGB", "JPEG"),
    ("L", "PNG"),
    ("L", "JPEG"),
    ("LA", "PNG"),
    ("RGBA", "PNG"),
    ("RGBA", "WEBP"),
    ("P", "PNG"),
    ("P", "GIF"),
    ("1", "PNG"),
    ("CMYK", "JPEG"),
    ("CMYK", "TIFF"),
    ("RGB", "BMP"),
    ("RGB", "TIFF"),
]


@pytest.mark.parametrize(("mode", "fmt"), MODES)
def test_every_mode_decodes_to_rgb(mode: str, fmt: ImageFormat) -> None:
    data = encode(random_photo(2, size=(60, 40)).convert(mode), fmt)
    decoded = decode_image(data, MediaLimits())
    assert decoded.pixels.shape == (40, 60, 3)
    assert decoded.pixels.dtype == np.uint8
    assert decoded.pixels.flags.c_contiguous
    assert (decoded.width, decoded.height, decoded.format) == (60, 40, fmt)
    expected = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    np.testing.assert_array_equal(decoded.pixels, expected)


def test_greyscale_channel_is_replicated() -> None:
    grey = random_photo(4, size=(30, 20)).convert("L")
    decoded = decode_image(encode(grey, "PNG"), MediaLimits())
    for channel in range(3):
        np.testing.assert_array_equal(decoded.pixels[:, :, channel], np.asarray(grey))


@pytest.mark.parametrize("mode", ["I;16", "I;16B"])
def test_sixteen_bit_greyscale_keeps_its_tones(mode: str) -> None:
    # Pillow's own RGB conversion would clip every sample above 255 to white.
    samples = (np.arange(256, dtype=np.uint16) * 257).reshape(16, 16)
    image = Image.frombytes(
        mode, (16, 16), samples.astype(">u2" if mode.endswith("B") else "<u2").tobytes()
    )
    decoded = decode_image(encode(image, "TIFF" if mode.endswith("B") else "PNG"), MediaLimits())
    expected = np.arange(256, dtype=np.uint8).reshape(16, 16)
    for channel in range(3):
        np.testing.assert_array_equal(decoded.pixels[:, :, channel], expected)


def _pillow(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


# Formats Pillow decodes but fireline does not accept: untrusted bytes never reach those
# decoders (EPS would be handed to Ghostscript; DDS raised NotImplementedError, a 500).
OTHER_FORMATS = {
    "eps": b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n",
    "ico": _pillow(random_photo(1, size=(32, 32)), "ICO"),
    "ppm": _pillow(random_photo(1, size=(32, 32)), "PPM"),
    "tga": _pillow(random_photo(1, size=(32, 32)), "TGA"),
    "dds": _pillow(random_photo(1, size=(32, 32)), "DDS"),
    "pdf": _pillow(random_photo(1, size=(32, 32)), "PDF"),
}


@pytest.mark.parametrize("data", OTHER_FORMATS.values(), ids=OTHER_FORMATS.keys())
def test_only_the_documented_formats_are_decoded(data: bytes) -> None:
    with pytest.raises(UnsupportedMedia) as caught:
        decode_image(data, MediaLimits())
    assert caught.value.code == "not_an_image"


# Pathological but valid: each decodes to its first frame or page, as RGB.
def _frames(fmt: str, count: int, **options: object) -> bytes:
    frames = [random_photo(seed, size=(40, 30)) for seed in range(count)]
    if fmt == "GIF":
        frames = [f.convert("P") for f in frames]
    return _pillow(frames[0], fmt, save_all=True, append_images=frames[1:], **options)


PATHOLOGICAL = {
    "1x100000-png": (_pillow(Image.new("RGB", (1, 100_000), (9, 8, 7)), "PNG"), (1, 100_000)),
    "100000x1-png": (_pillow(Image.new("L", (100_000, 1), 200), "PNG"), (100_000, 1)),
    "gif-300-frames": (_frames("GIF", 300), (40, 30)),
    "tiff-20-pages": (_frames("TIFF", 20), (40, 30)),
    "animated-webp": (_frames("WEBP", 10), (40, 30)),
    "mpo-camera-jpeg": (_frames("MPO", 2), (40, 30)),
    "palette-transparency-png": (
        _pillow(random_photo(3, size=(40, 30)).convert("P"), "PNG", transparency=0),
        (40, 30),
    ),
    "lossless-webp": (_pillow(random_photo(3, size=(40, 30)), "WEBP", lossless=True), (40, 30)),
}


@pytest.mark.parametrize(("data", "size"), PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_but_valid_images_decode(data: bytes, size: tuple[int, int]) -> None:
    decoded = decode_image(data, MediaLimits())
    assert (decoded.width, decoded.height) == size
    assert decoded.pixels.shape == (size[1], size[0], 3)
    assert decoded.pixels.dtype == np.uint8
