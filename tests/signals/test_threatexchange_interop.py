"""PDQ hashes move between fireline and python-threatexchange without conversion.

Each image is hashed three ways besides ours: threatexchange's Python API, its hasher
module, and its ``threatexchange hash photo`` command line, run as a subprocess with
HOME in a temporary directory (the CLI writes its state there).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pdqhash
import pytest
from PIL import Image
from threatexchange.signal_type.index import SignalSimilarityInfoWithSingleDistance
from threatexchange.signal_type.pdq import pdq_hasher
from threatexchange.signal_type.pdq.signal import PdqSignal as TxPdqSignal

from fireline.signals import MediaLimits, decode_image
from fireline.signals.pdq import PdqSignal
from fireline.testing import (
    ImageFormat,
    edited,
    encode,
    flat_image,
    flip_bits,
    random_hex,
    random_photo,
)


@dataclass(frozen=True)
class Case:
    name: str
    image: Callable[[], Image.Image]
    fmt: ImageFormat

    @property
    def filename(self) -> str:
        return f"{self.name}.{'jpg' if self.fmt == 'JPEG' else self.fmt.lower()}"


CASES = [
    Case("rgb-png", lambda: random_photo(21), "PNG"),
    Case("rgb-jpeg", lambda: random_photo(22), "JPEG"),
    Case("grey-png", lambda: random_photo(23).convert("L"), "PNG"),
    Case("grey-jpeg", lambda: random_photo(24).convert("L"), "JPEG"),
    Case("odd-size-png", lambda: random_photo(25, size=(173, 97)), "PNG"),
    Case("large-jpeg", lambda: random_photo(26, size=(1024, 768)), "JPEG"),
    Case("mirrored-png", lambda: edited(random_photo(21), "mirror"), "PNG"),
    Case("resized-jpeg", lambda: edited(random_photo(22), "resize"), "JPEG"),
]


def threatexchange_cli(home: Path, *args: str) -> str:
    """Run ``threatexchange`` with this interpreter; return its standard output."""
    completed = subprocess.run(
        [sys.executable, "-m", "threatexchange.cli.main", *args],
        env={**os.environ, "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


@pytest.fixture(scope="module")
def photo_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("photos")
    files = {}
    for case in CASES:
        path = folder / case.filename
        path.write_bytes(encode(case.image(), case.fmt))
        files[case.name] = path
    return files


@pytest.fixture(scope="module")
def cli_hashes(
    photo_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """``threatexchange hash -S pdq photo FILE...`` over every case, in one run."""
    home = tmp_path_factory.mktemp("home")
    paths = [str(photo_files[case.name]) for case in CASES]
    lines = threatexchange_cli(home, "hash", "-S", "pdq", "photo", *paths).splitlines()
    # Every case is a textured photo, so each prints exactly one "pdq <hash>" line.
    assert len(lines) == len(CASES), lines
    hashes = {}
    for case, line in zip(CASES, lines, strict=True):
        signal_name, value = line.split()
        assert signal_name == "pdq"
        hashes[case.name] = value
    return hashes


def ours(path: Path) -> tuple[str, int | None]:
    signal = PdqSignal.hash_image(decode_image(path.read_bytes(), MediaLimits()))
    return signal.value, signal.quality


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hash_equals_threatexchange_api_and_cli(
    case: Case, photo_files: dict[str, Path], cli_hashes: dict[str, str]
) -> None:
    path = photo_files[case.name]
    value, quality = ours(path)
    tx_value, tx_quality = pdq_hasher.pdq_from_file(path)
    assert value == tx_value
    assert value == TxPdqSignal.hash_from_file(path)
    assert value == cli_hashes[case.name]
    assert quality == tx_quality
    assert TxPdqSignal.validate_signal_str(value) == value


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_quality_equals_pdqhash(case: Case, photo_files: dict[str, Path]) -> None:
    path = photo_files[case.name]
    pixels = np.asarray(Image.open(path).convert("RGB"))
    _, expected = pdqhash.compute(pixels)
    assert ours(path)[1] == int(expected)


@pytest.mark.parametrize(("size", "colour"), [((320, 240), 128), ((64, 64), 0), ((200, 50), 250)])
def test_low_quality_is_dropped_like_threatexchange(
    size: tuple[int, int], colour: int, tmp_path: Path
) -> None:
    path = tmp_path / "flat.png"
    path.write_bytes(encode(flat_image(size, colour)))
    _, quality = ours(path)
    _, tx_quality = pdq_hasher.pdq_from_file(path)
    assert quality == tx_quality
    assert PdqSignal.too_low_quality(quality)
    # threatexchange drops hashes under the same quality floor: no hash, no CLI line.
    assert PdqSignal.min_quality == TxPdqSignal.QUALITY_THRESHOLD
    assert TxPdqSignal.hash_from_file(path) == ""
    assert threatexchange_cli(tmp_path / "home", "hash", "-S", "pdq", "photo", str(path)) == ""


@pytest.mark.parametrize("seed", [21, 30, 31, 32])
def test_mirrored_copy_is_found_by_a_dihedral_hash(seed: int, tmp_path: Path) -> None:
    photo = random_photo(seed)
    mirrored = tmp_path / "mirrored.png"
    mirrored.write_bytes(encode(edited(photo, "mirror")))
    tx_mirrored, _ = pdq_hasher.pdq_from_file(mirrored)
    dihedral = PdqSignal.hash_image_dihedral(decode_image(encode(photo), MediaLimits()))
    # The mirrored copy is far from the original, but next to its flip_horizontal hash.
    assert PdqSignal.compare(tx_mirrored, dihedral["original"].value) > 31
    assert PdqSignal.compare(tx_mirrored, dihedral["flip_horizontal"].value) <= 8


def random_pairs() -> list[tuple[str, str]]:
    rng = random.Random(2019)
    pairs = []
    for flipped in (0, 1, 2, 15, 30, 31, 32, 33, 64, 128, 200, 256):
        value = random_hex(rng, 256)
        pairs.append((value, flip_bits(value, flipped, rng)))
    pairs += [(random_hex(rng, 256), random_hex(rng, 256)) for _ in range(20)]
    return pairs


@pytest.mark.parametrize(("a", "b"), random_pairs())
def test_compare_agrees_with_threatexchange(a: str, b: str) -> None:
    result = TxPdqSignal.compare_hash(a, b)
    distance = PdqSignal.compare(a, b)
    assert isinstance(result.distance, SignalSimilarityInfoWithSingleDistance)
    assert distance == result.distance.distance
    assert (distance <= PdqSignal.default_threshold) == result.match
