"""POST /v1/match: exact and near matches, per-bank thresholds, retraction, refusals."""

from __future__ import annotations

import pytest

from fireline.bootstrap import hashing_service
from fireline.settings import Settings
from fireline.testing.media import edited, encode, flat_image, random_photo
from tests.web.support import Api


def _bank_photo(api: Api, bank: str, seed: int, **bank_fields: object) -> list[dict[str, object]]:
    api.client.post("/v1/banks", json={"name": bank, **bank_fields}, headers=api.admin)
    response = api.client.post(
        f"/v1/banks/{bank}/entries",
        files={"file": ("p.png", encode(random_photo(seed)))},
        data={"label": ["category:perpetrator_livestream"]},
        headers=api.admin,
    )
    assert response.status_code == 201, response.text
    return response.json()["added"]  # type: ignore[no-any-return]


def _match(api: Api, data: bytes, query: str = "") -> dict[str, object]:
    response = api.client.post(
        f"/v1/match{query}", files={"file": ("q.jpg", data)}, headers=api.matcher
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_the_same_file_matches_every_signal(api: Api) -> None:
    _bank_photo(api, "b", 1)
    result = _match(api, encode(random_photo(1)))
    assert result["matched"] is True
    found = {(m["signal_type"], m["distance"]) for m in result["matches"]}  # type: ignore[index]
    assert found == {("pdq", 0), ("md5", 0), ("sha256", 0)}
    first = result["matches"][0]  # type: ignore[index]
    assert first["bank"] == "b" and first["labels"] == ["category:perpetrator_livestream"]


@pytest.mark.parametrize("edit", ["jpeg", "resize", "brighten", "darken"])
def test_an_edited_copy_matches_by_pdq_only(api: Api, edit: str) -> None:
    _bank_photo(api, "b", 2)
    copy = encode(edited(random_photo(2), edit), "JPEG")  # type: ignore[arg-type]
    matches = _match(api, copy)["matches"]
    assert [m["signal_type"] for m in matches] == ["pdq"]  # type: ignore[index]
    assert matches[0]["distance"] <= 31  # type: ignore[index]


def test_a_mirrored_copy_matches_through_dihedral_hashes(api: Api) -> None:
    _bank_photo(api, "b", 3)
    mirrored = encode(edited(random_photo(3), "mirror"))
    matches = _match(api, mirrored)["matches"]
    assert matches and matches[0]["transform"] != "original"  # type: ignore[index]
    assert _match(api, mirrored, "?dihedral=false")["matched"] is False


def _hashed_with_variants(data: bytes) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """What a client hashing on its side sends: signals, and transformed copies' hashes."""
    hashed = hashing_service(Settings(database_url="memory://")).hash_content(data, variants=True)
    signals = [{"signal_type": s.signal_type, "value": s.value} for s in hashed.signals]
    transforms = [
        {"signal_type": s.signal_type, "value": s.value, "transform": name}
        for by_name in hashed.variants.values()
        for name, s in by_name.items()
        if name != "original"
    ]
    return signals, transforms


def test_signals_with_transformed_hashes_match_like_the_file(api: Api) -> None:
    _bank_photo(api, "b", 3)
    signals, transforms = _hashed_with_variants(encode(edited(random_photo(3), "mirror")))
    plain = api.client.post("/v1/match", json={"signals": signals}, headers=api.matcher)
    assert plain.json()["matched"] is False
    body = {"signals": signals, "transforms": transforms}
    found = api.client.post("/v1/match", json=body, headers=api.matcher).json()
    assert found["matched"] is True
    assert {m["transform"] for m in found["matches"]} - {"original"}
    # The upload's own signals are what the answer (and any harvest) keeps.
    assert [s["value"] for s in found["signals"]] == [s["value"] for s in signals]


@pytest.mark.parametrize(
    ("transforms", "signals"),
    [
        ([{"signal_type": "pdq", "value": "0f" * 32, "transform": "mirror"}], "md5"),
        ([{"signal_type": "pdq", "value": "0f" * 32, "transform": "original"}], "pdq"),
    ],
)
def test_a_transformed_hash_needs_its_original(
    api: Api, transforms: list[dict[str, str]], signals: str
) -> None:
    value = "0f" * 32 if signals == "pdq" else "0" * 32
    body = {"signals": [{"signal_type": signals, "value": value}], "transforms": transforms}
    response = api.client.post("/v1/match", json=body, headers=api.matcher)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "transform_without_original"


def test_an_unrelated_photo_does_not_match(api: Api) -> None:
    _bank_photo(api, "b", 4)
    assert _match(api, encode(random_photo(40)))["matched"] is False


def test_a_bank_threshold_overrides_the_default(api: Api) -> None:
    _bank_photo(api, "strict", 5, pdq_threshold=0)
    _bank_photo(api, "loose", 5)
    copy = encode(edited(random_photo(5), "jpeg"), "JPEG")
    banks = {m["bank"] for m in _match(api, copy)["matches"]}  # type: ignore[index]
    assert banks == {"loose"}


def test_retracted_entries_never_match(api: Api) -> None:
    added = _bank_photo(api, "b", 6)
    for entry in added:
        api.client.post(f"/v1/entries/{entry['id']}/retract", json={}, headers=api.admin)
    assert _match(api, encode(random_photo(6)))["matched"] is False


def test_low_quality_pdq_is_refused_but_digests_still_match(api: Api) -> None:
    api.client.post("/v1/banks", json={"name": "b"}, headers=api.admin)
    flat = encode(flat_image())
    api.client.post("/v1/banks/b/entries", files={"file": ("f.png", flat)}, headers=api.admin)
    result = _match(api, flat)
    assert result["refused"][0]["reason"] == "too low quality to match"  # type: ignore[index]
    assert {m["signal_type"] for m in result["matches"]} == {"md5", "sha256"}  # type: ignore[index]


def test_signals_in_json_match_and_can_be_limited_to_banks(api: Api) -> None:
    pdq = next(e for e in _bank_photo(api, "one", 7) if e["signal_type"] == "pdq")
    _bank_photo(api, "two", 7)
    body = {"signals": [{"signal_type": "pdq", "value": pdq["value"]}]}
    both = api.client.post("/v1/match", json=body, headers=api.matcher).json()
    assert {m["bank"] for m in both["matches"]} == {"one", "two"}
    only = api.client.post("/v1/match", json={**body, "banks": ["two"]}, headers=api.matcher)
    assert {m["bank"] for m in only.json()["matches"]} == {"two"}
    low = {"signals": [{"signal_type": "pdq", "value": pdq["value"], "quality": 10}]}
    refused = api.client.post("/v1/match", json=low, headers=api.matcher).json()
    assert refused["matched"] is False and refused["refused"]


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"json": {"signals": [{"signal_type": "pdq", "value": "12"}]}}, 422, "malformed_signal"),
        (
            {"json": {"signals": [{"signal_type": "nope", "value": "12"}]}},
            422,
            "unknown_signal_type",
        ),
        ({"json": {"banks": ["x"]}}, 422, "invalid_body"),
        (
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            422,
            "invalid_json",
        ),
        (
            {"content": b"raw", "headers": {"content-type": "text/plain"}},
            415,
            "unsupported_content_type",
        ),
        (
            {"json": {"signals": [{"signal_type": "md5", "value": "0" * 32}], "banks": ["nope"]}},
            404,
            "bank_not_found",
        ),
        # Names no bank can have: PostgreSQL cannot be asked about a NUL (it answered 503).
        (
            {"json": {"signals": [{"signal_type": "md5", "value": "0" * 32}], "banks": ["a\x00"]}},
            404,
            "bank_not_found",
        ),
        (
            {
                "content": b'{"signals": [{"signal_type": "md5", "value": "' + b"0" * 32 + b'"}],'
                b' "banks": ["\\ud800"]}',
                "headers": {"content-type": "application/json"},
            },
            404,
            "bank_not_found",
        ),
        (
            {
                "json": {"signals": [{"signal_type": "md5", "value": "0" * 32}]},
                "params": {"bank": "a\x00"},
            },
            404,
            "bank_not_found",
        ),
        (
            {"json": {"signals": [{"signal_type": "md5", "value": "0" * 32, "quality": 2**70}]}},
            422,
            "malformed_signal",
        ),
        # Bodies the JSON parser gives up on: too deep (a 500), a number too long, not UTF-8.
        (
            {
                "content": b"[" * 100_000 + b"]" * 100_000,
                "headers": {"content-type": "application/json"},
            },
            422,
            "invalid_json",
        ),
        (
            {
                "content": b'{"signals": ' + b"9" * 5000 + b"}",
                "headers": {"content-type": "application/json"},
            },
            422,
            "invalid_json",
        ),
        (
            {"content": b"\xff\xfe\xfd{}", "headers": {"content-type": "application/json"}},
            422,
            "invalid_json",
        ),
        (
            {"files": [("file", ("a", b"one")), ("file", ("b", b"two"))]},
            422,
            "invalid_multipart",
        ),
        (
            {"content": b"--x--\r\n", "headers": {"content-type": "multipart/form-data"}},
            422,
            "invalid_multipart",
        ),
    ],
)
def test_bad_match_requests_are_refused(
    api: Api, kwargs: dict[str, object], status: int, code: str
) -> None:
    extra = dict(kwargs)  # parametrize rows are shared between backends: don't mutate them
    headers = {**api.matcher, **extra.pop("headers", {})}  # type: ignore[dict-item]
    response = api.client.post("/v1/match", headers=headers, **extra)  # type: ignore[arg-type]
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
