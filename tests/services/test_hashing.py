"""Hashing content: digests always, PDQ for photos, rotated and flipped variants on request."""

from __future__ import annotations

import pytest

from fireline.bootstrap import Container, build
from fireline.domain import InvalidInput, UnsupportedMedia
from fireline.services import parse_content_type
from fireline.settings import Settings
from fireline.signals import ContentType
from fireline.signals.vpdq import parse_vpdq
from fireline.testing.media import encode, random_photo, synthetic_video


@pytest.mark.parametrize(
    ("variants", "expected"),
    [(False, {}), (True, {"pdq": 8})],
)
def test_variants_are_computed_only_when_asked(
    container: Container, variants: bool, expected: dict[str, int]
) -> None:
    hashed = container.hashing.hash_content(encode(random_photo(1)), variants=variants)
    assert {name: len(v) for name, v in hashed.variants.items()} == expected
    plain = container.hashing.hash_content(encode(random_photo(1)))
    assert hashed.signals == plain.signals


@pytest.mark.parametrize(
    ("content_type", "data", "types"),
    [
        (ContentType.PHOTO, encode(random_photo(2)), ["md5", "pdq", "sha256"]),
        (ContentType.FILE, b"any bytes at all", ["md5", "sha256"]),
        # video_md5 covers a video's bytes; md5 and sha256 stay photo and file types.
        (ContentType.VIDEO, synthetic_video(1, 2.0), ["video_md5", "vorb", "vpdq"]),
    ],
)
def test_signal_types_follow_the_content_type(
    container: Container, content_type: ContentType, data: bytes, types: list[str]
) -> None:
    hashed = container.hashing.hash_content(data, content_type=content_type)
    assert sorted(s.signal_type for s in hashed.signals) == types


def test_a_non_image_is_not_a_photo(container: Container) -> None:
    with pytest.raises(UnsupportedMedia):
        container.hashing.hash_content(b"plain text", content_type=ContentType.PHOTO)


@pytest.mark.parametrize(
    ("raw", "ok"), [("photo", True), ("video", True), ("file", True), ("hologram", False)]
)
def test_content_type_names(raw: str, ok: bool) -> None:
    if ok:
        assert parse_content_type(raw).value == raw
    else:
        with pytest.raises(InvalidInput):
            parse_content_type(raw)


def test_a_non_video_is_not_a_video(container: Container) -> None:
    with pytest.raises(UnsupportedMedia) as caught:
        container.hashing.hash_content(encode(random_photo(1)), content_type=ContentType.VIDEO)
    assert caught.value.code == "not_a_video"


def test_video_sampling_rate_comes_from_settings() -> None:
    settings = Settings(database_url="memory://", video_frames_per_second=2, max_video_seconds=60)
    built = build(settings)
    assert built.hashing.limits.max_duration_s == 60
    hashed = built.hashing.hash_content(synthetic_video(2, 2.0), content_type=ContentType.VIDEO)
    (vpdq,) = [s for s in hashed.signals if s.signal_type == "vpdq"]
    assert [f.timestamp for f in parse_vpdq(vpdq.value)] == [0.0, 0.5, 1.0, 1.5]
    built.close()
