"""vPDQ hashes agree with the reference ``vpdq`` package and python-threatexchange.

The reference (facebook/ThreatExchange ``vpdq/``, built against Debian's libav*-dev by
``make sysdeps``) hashes the same generated files; ours must pick the same frames, stamp
them with the same times and hash each within PDQ distance 31 (in practice: 0 bits).
python-threatexchange must accept our signal strings, and we must read its strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pytest
import vpdq
from threatexchange.extensions.vpdq.vpdq import VPDQSignal
from threatexchange.extensions.vpdq.vpdq_util import json_to_vpdq

from fireline.signals import MediaLimits, open_video
from fireline.signals.vpdq import (
    VpdqFrame,
    VpdqSignal,
    format_vpdq,
    hash_frames,
    parse_vpdq,
    parse_vpdq_text,
)
from fireline.testing.media import synthetic_video


@dataclass(frozen=True)
class Case:
    name: str
    seed: int
    seconds: float
    fps: int | Fraction = 10
    size: tuple[int, int] = (320, 240)
    codec: str = "libx264"
    container: str = "mp4"

    @property
    def filename(self) -> str:
        return f"{self.name}.{'mkv' if self.container == 'matroska' else self.container}"

    def video(self) -> bytes:
        return synthetic_video(
            self.seed,
            self.seconds,
            fps=self.fps,
            size=self.size,
            codec=self.codec,
            container=self.container,
        )


CASES = [
    Case("h264-10fps", 41, 8.0),
    Case("mpeg4-10fps", 42, 8.0, codec="mpeg4"),
    Case("ntsc-29.97fps", 43, 6.0, fps=Fraction(30000, 1001)),
    Case("25fps-cif", 44, 6.0, fps=25, size=(352, 288)),
    Case("mkv-small", 45, 5.0, size=(176, 144), container="matroska"),
]


@dataclass(frozen=True)
class Hashed:
    path: Path
    ours: list[VpdqFrame]
    reference: list[vpdq.VpdqFeature]


@pytest.fixture(scope="module")
def hashed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Hashed]:
    folder = tmp_path_factory.mktemp("videos")
    result = {}
    for case in CASES:
        data = case.video()
        path = folder / case.filename
        path.write_bytes(data)
        ours = hash_frames(open_video(data, MediaLimits()))
        reference = vpdq.computeHash(str(path), seconds_per_hash=1.0)
        result[case.name] = Hashed(path, ours, reference)
    return result


def pdq_distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_frames_match_the_reference_within_pdq_31(case: Case, hashed: dict[str, Hashed]) -> None:
    run = hashed[case.name]
    assert len(run.ours) == len(run.reference) >= 5
    for ours, theirs in zip(run.ours, run.reference, strict=True):
        assert ours.frame_number == theirs.frame_number
        assert ours.timestamp == pytest.approx(theirs.timestamp, abs=0.0015)
        distance = pdq_distance(ours.pdq_hex, theirs.hex)
        assert distance <= 31, f"frame {ours.frame_number}: {distance} bits from the reference"
        assert abs(ours.quality - theirs.quality) <= 10


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_threatexchange_accepts_our_signal(case: Case, hashed: dict[str, Hashed]) -> None:
    ours = format_vpdq(hashed[case.name].ours)
    assert VPDQSignal.validate_signal_str(ours) == ours
    features = json_to_vpdq(ours)
    assert [(f.pdq_hex, f.quality) for f in features] == [
        (f.pdq_hex, f.quality) for f in hashed[case.name].ours
    ]
    theirs = VPDQSignal.hash_from_file(hashed[case.name].path)
    assert VPDQSignal.compare_hash(ours, theirs).match


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_we_read_threatexchange_signals(case: Case, hashed: dict[str, Hashed]) -> None:
    theirs = VPDQSignal.hash_from_file(hashed[case.name].path)
    canonical = VpdqSignal.validate(theirs)
    frames = parse_vpdq(canonical)
    assert [f.pdq_hex for f in frames] == [f.hex for f in hashed[case.name].reference]
    ours = format_vpdq(hashed[case.name].ours)
    assert VpdqSignal.compare(canonical, ours) <= VpdqSignal.default_threshold


def test_we_read_the_reference_text_form(hashed: dict[str, Hashed]) -> None:
    # The layout of the vpdq command line's hash files: number,quality,hash,seconds.
    reference = hashed["ntsc-29.97fps"].reference
    text = "".join(f"{f.frame_number},{f.quality},{f.hex},{f.timestamp:.3f}\n" for f in reference)
    frames = parse_vpdq_text(text)
    assert [f.frame_number for f in frames] == [0, 29, 58, 87, 116, 145, 174]
    assert [f.timestamp for f in frames] == [0.0, 0.968, 1.935, 2.903, 3.871, 4.838, 5.806]
    assert [f.pdq_hex for f in frames] == [f.hex for f in reference]
