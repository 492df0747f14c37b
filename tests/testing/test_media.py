"""The synthetic media generators: deterministic, benign, and shaped as the tests need."""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
import zlib

import numpy as np
import pytest
from PIL import Image, ImageOps

from fireline.signals import MediaLimits, decode_image
from fireline.signals.pdq import PdqSignal
from fireline.testing import (
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


def pdq_quality(image: Image.Image) -> int:
    quality = PdqSignal.hash_image(decode_image(encode(image), MediaLimits())).quality
    assert quality is not None
    return quality


@pytest.mark.parametrize("seed", [0, 1, 42])
@pytest.mark.parametrize("size", [(320, 240), (64, 64), (100, 300)])
def test_random_photo_is_deterministic(seed: int, size: tuple[int, int]) -> None:
    first = random_photo(seed, size)
    assert first.mode == "RGB"
    assert first.size == size
    assert encode(first) == encode(random_photo(seed, size))


def test_different_seeds_give_different_photos() -> None:
    digests = {hashlib.sha256(random_photo(seed).tobytes()).hexdigest() for seed in range(20)}
    assert len(digests) == 20


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("size", [(320, 240), (32, 32), (1024, 96)])
def test_random_photo_hashes_at_high_pdq_quality(seed: int, size: tuple[int, int]) -> None:
    assert pdq_quality(random_photo(seed, size)) >= 80


@pytest.mark.parametrize(("size", "colour"), [((320, 240), 128), ((64, 64), 0), ((500, 20), 255)])
def test_flat_image_hashes_at_low_pdq_quality(size: tuple[int, int], colour: int) -> None:
    image = flat_image(size, colour)
    assert image.size == size
    assert pdq_quality(image) < 50


@pytest.mark.parametrize("size", [(15, 100), (100, 15), (0, 0)])
def test_random_photo_refuses_tiny_sizes(size: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="at least 16x16"):
        random_photo(0, size)


@pytest.mark.parametrize(
    ("fmt", "magic"),
    [
        ("PNG", b"\x89PNG\r\n\x1a\n"),
        ("JPEG", b"\xff\xd8\xff"),
        ("GIF", b"GIF8"),
        ("BMP", b"BM"),
        ("WEBP", b"RIFF"),
        ("TIFF", b"II*\x00"),
    ],
)
def test_encode_writes_the_format_asked_for(fmt: ImageFormat, magic: bytes) -> None:
    data = encode(random_photo(1, (64, 48)), fmt)
    assert data.startswith(magic)
    assert decode(data).size == (64, 48)


def test_encode_jpeg_drops_alpha() -> None:
    rgba = random_photo(1, (64, 48)).convert("RGBA")
    assert decode(encode(rgba, "JPEG")).mode == "RGB"


@pytest.mark.parametrize(
    ("kind", "size"),
    [
        ("jpeg", (320, 240)),
        ("resize", (192, 144)),
        ("crop", (314, 236)),
        ("mirror", (320, 240)),
        ("brighten", (320, 240)),
        ("darken", (320, 240)),
    ],
)
def test_edits_are_deterministic_and_change_the_pixels(
    kind: EditKind, size: tuple[int, int]
) -> None:
    photo = random_photo(9)
    copy = edited(photo, kind)
    assert copy.size == size
    assert copy.mode == "RGB"
    assert copy.tobytes() != photo.tobytes()
    assert copy.tobytes() == edited(photo, kind).tobytes()


def test_every_edit_kind_is_tested() -> None:
    assert set(EDIT_KINDS) == {"jpeg", "resize", "crop", "mirror", "brighten", "darken"}


def test_mirror_flips_left_to_right() -> None:
    photo = random_photo(9)
    assert edited(photo, "mirror").tobytes() == ImageOps.mirror(photo).tobytes()


@pytest.mark.parametrize(("kind", "brighter"), [("brighten", True), ("darken", False)])
def test_brightness_edits_move_the_mean(kind: EditKind, brighter: bool) -> None:
    photo = random_photo(9)
    before = np.asarray(photo, dtype=np.float64).mean()
    after = np.asarray(edited(photo, kind), dtype=np.float64).mean()
    assert bool(after > before) == brighter


def test_unknown_edit_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown edit"):
        edited(random_photo(1), "sepia")  # type: ignore[arg-type]


def png_chunks(data: bytes) -> list[tuple[bytes, bytes, int]]:
    """(kind, body, stored CRC) for every chunk after the signature."""
    chunks = []
    offset = 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        chunks.append((kind, body, crc))
        offset += 12 + length
    return chunks


@pytest.mark.parametrize(
    ("width", "height"), [(30000, 30000), (100_000, 1), (1, 1), (2**31 - 1, 2**31 - 1)]
)
def test_png_bomb_is_a_tiny_well_formed_png(width: int, height: int) -> None:
    bomb = png_bomb(width, height)
    assert bomb.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(bomb) < 1024
    chunks = png_chunks(bomb)
    assert [kind for kind, _, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    for kind, body, crc in chunks:
        assert zlib.crc32(kind + body) == crc
    ihdr = chunks[0][1]
    assert struct.unpack(">IIBBBBB", ihdr) == (width, height, 8, 2, 0, 0, 0)
    assert set(zlib.decompress(chunks[1][1])) == {0}


def test_png_bomb_header_is_read_by_pillow() -> None:
    # Over Pillow's warning threshold but under its error threshold, so the header opens.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        image = Image.open(io.BytesIO(png_bomb(12000, 9000)))
    assert (image.format, image.mode, image.size) == ("PNG", "RGB", (12000, 9000))


@pytest.mark.parametrize(("width", "height"), [(0, 10), (10, 0), (2**31, 1)])
def test_png_bomb_refuses_impossible_sizes(width: int, height: int) -> None:
    with pytest.raises(ValueError, match="PNG dimensions"):
        png_bomb(width, height)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_truncated_jpeg_opens_but_does_not_decode(seed: int) -> None:
    data = truncated_jpeg(seed)
    assert data == truncated_jpeg(seed)
    assert data.startswith(b"\xff\xd8")
    assert not data.endswith(b"\xff\xd9")
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    with pytest.raises(OSError, match="truncated"):
        image.load()
