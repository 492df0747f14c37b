"""POST /v1/hash: signals of an upload, and clear refusals of bad content."""

from __future__ import annotations

import hashlib

import pytest

from fireline.settings import Settings
from fireline.signals.vpdq import parse_vpdq
from fireline.testing.media import (
    encode,
    encode_audio,
    flat_image,
    long_video,
    png_bomb,
    random_photo,
    synthetic_music,
    synthetic_video,
    truncated_jpeg,
    truncated_video,
)
from tests.web.support import Api, make_api


def test_photo_gets_pdq_md5_and_sha256(api: Api) -> None:
    data = encode(random_photo(1), "JPEG")
    response = api.client.post("/v1/hash", files={"file": ("a.jpg", data)}, headers=api.matcher)
    assert response.status_code == 200
    signals = {s["signal_type"]: s for s in response.json()["signals"]}
    assert set(signals) == {"pdq", "md5", "sha256"}
    assert signals["md5"]["value"] == hashlib.md5(data).hexdigest()
    assert signals["sha256"]["value"] == hashlib.sha256(data).hexdigest()
    assert len(signals["pdq"]["value"]) == 64
    assert signals["pdq"]["quality"] >= 50


def test_any_file_hashes_as_digests_only(api: Api) -> None:
    response = api.client.post(
        "/v1/hash?content_type=file",
        files={"file": ("a.txt", b"not an image")},
        headers=api.matcher,
    )
    assert response.status_code == 200
    assert [s["signal_type"] for s in response.json()["signals"]] == ["md5", "sha256"]


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"", 422, "empty_file"),
        (b"\x00\x01\x02\xff definitely not an image", 415, "not_an_image"),
        (b"%PDF-1.4 not a whole PDF", 415, "corrupt_document"),
        (truncated_jpeg(3), 415, "corrupt_image"),
        (png_bomb(30000, 30000), 413, "too_many_pixels"),
    ],
    ids=["zero-byte", "non-image", "broken-pdf", "truncated-jpeg", "decompression-bomb"],
)
def test_bad_content_is_refused_clearly(api: Api, data: bytes, status: int, code: str) -> None:
    response = api.client.post("/v1/hash", files={"file": ("x", data)}, headers=api.matcher)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def test_missing_file_part_is_refused(api: Api) -> None:
    response = api.client.post("/v1/hash", files={"other": ("x", b"x")}, headers=api.matcher)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "missing_file"
    response = api.client.post("/v1/hash", data={"other": "x"}, headers=api.matcher)
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_content_type"


def test_unknown_content_type_is_refused(api: Api) -> None:
    data = encode(random_photo(1))
    response = api.client.post(
        "/v1/hash?content_type=hologram", files={"file": ("a", data)}, headers=api.matcher
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_content_type"


def test_low_quality_photo_still_hashes_with_its_quality(api: Api) -> None:
    data = encode(flat_image())
    response = api.client.post("/v1/hash", files={"file": ("f.png", data)}, headers=api.matcher)
    pdq = next(s for s in response.json()["signals"] if s["signal_type"] == "pdq")
    assert pdq["quality"] < 50


def test_oversized_upload_gets_413() -> None:
    settings = Settings(database_url="memory://", max_upload_bytes=10_000)
    for api in make_api(settings):
        big = encode(random_photo(2, size=(800, 800)), "PNG")
        assert len(big) > 10_000 + 256 * 1024 or len(big) > 10_000
        response = api.client.post("/v1/hash", files={"file": ("b.png", big)}, headers=api.matcher)
        assert response.status_code == 413
        assert response.json()["error"]["code"] in {"too_large", "too_many_bytes"}


def test_video_gets_video_md5_and_vpdq(api: Api) -> None:
    data = synthetic_video(1, 3.0)
    response = api.client.post(
        "/v1/hash?content_type=video", files={"file": ("a.mp4", data)}, headers=api.matcher
    )
    assert response.status_code == 200
    signals = {s["signal_type"]: s for s in response.json()["signals"]}
    assert set(signals) == {"video_md5", "vorb", "vpdq"}
    assert signals["video_md5"]["value"] == hashlib.md5(data).hexdigest()
    frames = parse_vpdq(signals["vpdq"]["value"])
    assert [f.timestamp for f in frames] == [0.0, 1.0, 2.0]
    assert signals["vpdq"]["quality"] == max(f.quality for f in frames)


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (encode(random_photo(1)), 415, "not_a_video"),
        (truncated_video(2), 415, "truncated_video"),
        (long_video(10 * 3600), 413, "too_long"),
    ],
    ids=["photo", "truncated", "ten-hours"],
)
def test_bad_video_is_refused_clearly(api: Api, data: bytes, status: int, code: str) -> None:
    response = api.client.post(
        "/v1/hash?content_type=video", files={"file": ("v", data)}, headers=api.matcher
    )
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_the_content_type_is_told_from_the_upload_by_default(api: Api) -> None:
    for data, kind, types in [
        (encode(random_photo(2), "PNG"), "photo", {"pdq", "md5", "sha256"}),
        (synthetic_video(2, 3.0), "video", {"video_md5", "vorb", "vpdq"}),
        (
            encode_audio(synthetic_music(2, 6.0), codec="libmp3lame", container="mp3"),
            "audio",
            {"audio_fp"},
        ),
    ]:
        response = api.client.post("/v1/hash", files={"file": ("x", data)}, headers=api.matcher)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["content_type"] == kind
        assert {s["signal_type"] for s in body["signals"]} == types
    # Neither photo, video, audio nor text: refused as the photo decoder refuses it.
    response = api.client.post(
        "/v1/hash", files={"file": ("x", b"\x00\x01\x02\xff")}, headers=api.matcher
    )
    assert response.status_code == 415
