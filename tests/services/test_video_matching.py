"""Video matching end to end: banked videos, edited copies, segments that say where."""

from __future__ import annotations

import pytest

from fireline.bootstrap import Container, build
from fireline.domain import Match, Signal
from fireline.settings import Settings
from fireline.signals import ContentType
from fireline.testing.clips import (
    concatenated,
    excerpt,
    inset,
    letterboxed,
    mirrored,
    render,
    source,
)

SIZE = (160, 120)
#: The banked video: ten minutes.
REFERENCE = source(21, 600.0, SIZE)


@pytest.fixture(scope="module")
def reference() -> bytes:
    return render(REFERENCE)


@pytest.fixture(scope="module")
def compilation() -> bytes:
    """Five minutes: 100 s of something else, 20 s of the reference from 200 s, 180 s more."""
    return render(
        concatenated(
            [
                source(22, 100.0, SIZE),
                excerpt(REFERENCE, 200.0, 20.0),
                source(23, 180.0, SIZE),
            ]
        )
    )


def bank(container: Container, data: bytes) -> None:
    container.banks.create(name="videos")
    container.banks.add_content(bank="videos", data=data, content_type=ContentType.VIDEO)


def vpdq_match(container: Container, data: bytes) -> Match:
    result = container.matcher.match_content(data, content_type=ContentType.VIDEO)
    [match] = [m for m in result.matches if m.entry.signal_type == "vpdq"]
    return match


def test_an_excerpt_inside_a_compilation_is_found_and_localised(
    container: Container, reference: bytes, compilation: bytes
) -> None:
    bank(container, reference)
    match = vpdq_match(container, compilation)
    [segment] = match.segments
    assert abs(segment.query_start - 100) <= 2 and abs(segment.query_end - 120) <= 2
    assert abs(segment.reference_start - 200) <= 2 and abs(segment.reference_end - 220) <= 2
    assert segment.speed == pytest.approx(1.0, abs=0.05)
    assert match.distance == 100 - segment.score <= match.threshold
    assert segment.query_coverage == pytest.approx(20 / 300, abs=0.02)
    assert segment.reference_coverage == pytest.approx(20 / 600, abs=0.02)


def test_edited_copies_match(reference: bytes) -> None:
    # Matching does not depend on the store: the in-memory one is enough here.
    container = build(Settings(database_url="memory://"))
    bank(container, reference)
    cut = excerpt(REFERENCE, 300.0, 30.0)
    for name, clip, speed, transform in [
        ("mirrored", mirrored(cut), 1.0, "flip_horizontal"),
        ("letterboxed", letterboxed(cut), 1.0, "original"),
        ("twice as fast", excerpt(REFERENCE, 300.0, 30.0, speed=2.0), 2.0, "original"),
        ("half speed", excerpt(REFERENCE, 300.0, 30.0, speed=0.5), 0.5, "original"),
    ]:
        match = vpdq_match(container, render(clip))
        assert match.transform == transform, name
        [segment] = match.segments
        assert abs(segment.reference_start - 300) <= 2, name
        assert abs(segment.reference_end - 330) <= 2 + speed, name
        assert segment.speed == pytest.approx(speed, rel=0.1), name


@pytest.mark.parametrize(
    ("box", "frame", "flip"),
    [
        ((0.03, 0.04, 0.45), (255, 255, 255), False),  # a corner, framed
        ((0.5, 0.2, 0.48), None, True),  # the right half, no frame, mirrored too
    ],
)
def test_a_copy_shown_inside_another_video_is_found_by_its_inset(
    reference: bytes,
    box: tuple[float, float, float],
    frame: tuple[int, int, int] | None,
    flip: bool,
) -> None:
    container = build(Settings(database_url="memory://"))
    bank(container, reference)
    cut = excerpt(REFERENCE, 120.0, 30.0)
    host = source(25, 30.0, (320, 240))
    copy = inset(mirrored(cut) if flip else cut, host, box=box, frame=frame)
    match = vpdq_match(container, render(copy))
    assert match.transform.startswith("inset(")
    assert match.transform.endswith("+flip_horizontal") == flip
    [segment] = match.segments
    assert abs(segment.reference_start - 120) <= 2 and abs(segment.reference_end - 150) <= 2
    assert abs(segment.query_start) <= 2 and abs(segment.query_end - 30) <= 2


def test_an_unrelated_video_does_not_match(container: Container, reference: bytes) -> None:
    bank(container, reference)
    other = render(source(24, 60.0, SIZE))
    result = container.matcher.match_content(other, content_type=ContentType.VIDEO)
    assert result.matches == ()


def test_a_vpdq_signal_matches_like_the_video(container: Container, reference: bytes) -> None:
    bank(container, reference)
    clip = render(excerpt(REFERENCE, 42.0, 20.0))
    hashed = container.hashing.hash_content(clip, content_type=ContentType.VIDEO)
    [signal] = [s for s in hashed.signals if s.signal_type == "vpdq"]
    result = container.matcher.match_signals([Signal("vpdq", signal.value, signal.quality)])
    [match] = result.matches
    assert abs(match.segments[0].reference_start - 42) <= 2
