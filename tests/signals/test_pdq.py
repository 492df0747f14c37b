"""PDQ: the signal-type contract, quality, and robustness to the edits re-uploaders make."""

from __future__ import annotations

import random

import pytest
from PIL import Image

from fireline.domain import InvalidInput
from fireline.signals import DecodedImage, MediaLimits, decode_image
from fireline.signals.pdq import DIHEDRAL_TRANSFORMS, PdqSignal
from fireline.testing import (
    EditKind,
    ImageFormat,
    SignalTypeContract,
    edited,
    encode,
    flat_image,
    flip_bits,
    random_hex,
    random_photo,
)

# Hashes of modified versions of one photo, from python-threatexchange's examples.
BRIDGE = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
BRIDGE_MOD = "d0f8f1ccc0f4a84d0a370a3a228f67f0b36e2ed5b6623e1d33e6339c4e9c9b22"
OTHER = "e64cc9d91c623882f8d1f1d9a398e78c9f199b3bd83924f2b7e11e0bf861b064"
ZERO = "0" * 64


def pixels_of(image: Image.Image, fmt: ImageFormat = "PNG") -> DecodedImage:
    return decode_image(encode(image, fmt), MediaLimits())


class TestPdqContract(SignalTypeContract):
    signal_type = PdqSignal
    valid_cases = [
        (BRIDGE, BRIDGE),
        (BRIDGE.upper(), BRIDGE),
        (f"  {OTHER}\n", OTHER),
        (ZERO, ZERO),
        ("F" * 64, "f" * 64),
    ]
    invalid_cases = [
        "",
        "   ",
        BRIDGE[:-1],
        BRIDGE + "0",
        "g" * 64,
        "0x" + BRIDGE[2:],
        BRIDGE[:32] + " " + BRIDGE[33:],
        "\u0661" * 64,  # Arabic-Indic digit one: a digit, but not a hex one
        BRIDGE[:32],
    ]
    close_pairs = [(BRIDGE, BRIDGE_MOD), (BRIDGE, flip_bits(BRIDGE, 31, random.Random(1)))]
    far_pairs = [(BRIDGE, OTHER), (BRIDGE, flip_bits(BRIDGE, 32, random.Random(1)))]
    index_thresholds = (-1, 0, 10, 31, 48)

    def random_signal(self, rng: random.Random) -> str:
        return random_hex(rng, 256)

    def near_signal(self, value: str, rng: random.Random) -> str:
        return flip_bits(value, rng.randint(1, 40), rng)


@pytest.mark.parametrize(
    ("quality", "accepted"),
    [(None, True), (0, True), (50, True), (100, True), (-1, False), (101, False)],
)
def test_quality_is_zero_to_one_hundred(quality: int | None, accepted: bool) -> None:
    if accepted:
        assert PdqSignal.validate_quality(quality) == quality
    else:
        with pytest.raises(InvalidInput) as caught:
            PdqSignal.validate_quality(quality)
        assert caught.value.code == "malformed_signal"


@pytest.mark.parametrize(
    ("quality", "too_low"),
    [(None, False), (0, True), (49, True), (50, False), (100, False)],
)
def test_low_quality_hashes_are_not_matched(quality: int | None, too_low: bool) -> None:
    assert PdqSignal.too_low_quality(quality) is too_low


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_textured_photo_hashes_at_high_quality(seed: int) -> None:
    signal = PdqSignal.hash_image(pixels_of(random_photo(seed)))
    assert signal.signal_type == "pdq"
    assert signal.quality is not None and signal.quality >= 80
    assert not PdqSignal.too_low_quality(signal.quality)


def test_flat_image_hashes_at_too_low_quality() -> None:
    signal = PdqSignal.hash_image(pixels_of(flat_image()))
    assert PdqSignal.too_low_quality(signal.quality)


# (edit, largest distance allowed). PDQ is built to survive recompression, scaling and
# brightness; even a 1% crop moves it noticeably, but it stays far closer than an
# unrelated photo (about 128 bits away).
EDIT_DISTANCES: list[tuple[EditKind, int]] = [
    ("jpeg", 31),
    ("resize", 31),
    ("brighten", 31),
    ("darken", 31),
    ("crop", 63),
]


@pytest.mark.parametrize(("kind", "max_distance"), EDIT_DISTANCES)
@pytest.mark.parametrize("seed", [10, 11, 12])
def test_edited_copies_stay_close(kind: EditKind, max_distance: int, seed: int) -> None:
    photo = random_photo(seed)
    original = PdqSignal.hash_image(pixels_of(photo))
    copy = PdqSignal.hash_image(pixels_of(edited(photo, kind)))
    assert PdqSignal.compare(original.value, copy.value) <= max_distance


@pytest.mark.parametrize(("seed_a", "seed_b"), [(0, 1), (2, 3), (4, 100)])
def test_unrelated_photos_do_not_match(seed_a: int, seed_b: int) -> None:
    a = PdqSignal.hash_image(pixels_of(random_photo(seed_a))).value
    b = PdqSignal.hash_image(pixels_of(random_photo(seed_b))).value
    assert PdqSignal.compare(a, b) > 2 * PdqSignal.default_threshold


# (Pillow transpose, the dihedral hash it should be found by).
TRANSFORMS = [
    (None, "original"),
    (Image.Transpose.ROTATE_90, "rotate90"),
    (Image.Transpose.ROTATE_180, "rotate180"),
    (Image.Transpose.ROTATE_270, "rotate270"),
    (Image.Transpose.FLIP_TOP_BOTTOM, "flip_vertical"),
    (Image.Transpose.FLIP_LEFT_RIGHT, "flip_horizontal"),
    (Image.Transpose.TRANSPOSE, "transpose"),
    (Image.Transpose.TRANSVERSE, "transverse"),
]


@pytest.mark.parametrize("size", [(320, 240), (640, 480), (255, 301)])
@pytest.mark.parametrize(("transpose", "transform"), TRANSFORMS)
def test_rotated_and_flipped_copies_are_found_exactly_by_dihedral_hashes(
    transpose: Image.Transpose | None, transform: str, size: tuple[int, int]
) -> None:
    photo = random_photo(7, size=size)
    dihedral = PdqSignal.hash_image_dihedral(pixels_of(photo))
    assert set(dihedral) == set(DIHEDRAL_TRANSFORMS)
    moved = photo if transpose is None else photo.transpose(transpose)
    copy = PdqSignal.hash_image(pixels_of(moved)).value
    assert dihedral[transform].value == copy


@pytest.mark.parametrize(("transpose", "transform"), TRANSFORMS)
def test_variants_of_large_photos_stay_within_a_few_bits(
    transpose: Image.Transpose | None, transform: str
) -> None:
    # Past VARIANT_MAX_PIXELS the variants are hashed from a shrunk copy.
    photo = random_photo(7, size=(1600, 1200))
    dihedral = PdqSignal.hash_image_dihedral(pixels_of(photo))
    assert set(dihedral) == set(DIHEDRAL_TRANSFORMS)
    moved = photo if transpose is None else photo.transpose(transpose)
    copy = PdqSignal.hash_image(pixels_of(moved)).value
    distances = {name: PdqSignal.compare(copy, s.value) for name, s in dihedral.items()}
    assert min(distances, key=distances.__getitem__) == transform
    assert distances[transform] <= 16


def test_dihedral_original_is_the_plain_hash() -> None:
    image = pixels_of(random_photo(3))
    assert PdqSignal.hash_image_dihedral(image)["original"] == PdqSignal.hash_image(image)


def test_greyscale_file_hashes_like_its_rgb_twin() -> None:
    grey = random_photo(5).convert("L")
    assert PdqSignal.hash_image(pixels_of(grey)) == PdqSignal.hash_image(
        pixels_of(grey.convert("RGB"))
    )
