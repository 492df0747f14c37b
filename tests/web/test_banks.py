"""Banks and entries over HTTP: lifecycle, validation that changes nothing, import/export."""

from __future__ import annotations

import pytest

from fireline.testing.media import encode, flat_image, random_photo
from tests.web.support import Api

PDQ = "f" * 64


def _create(api: Api, name: str = "bank1", **extra: object) -> dict[str, object]:
    response = api.client.post("/v1/banks", json={"name": name, **extra}, headers=api.admin)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _count(api: Api, bank: str = "bank1") -> int:
    return int(api.client.get(f"/v1/banks/{bank}", headers=api.admin).json()["entry_count"])


def test_bank_lifecycle(api: Api) -> None:
    created = _create(api, description="test bank", pdq_threshold=20)
    assert created["pdq_threshold"] == 20
    assert created["owner"] == "test admin"
    listed = api.client.get("/v1/banks", headers=api.matcher).json()
    assert [b["name"] for b in listed["data"]] == ["bank1"]
    patched = api.client.patch(
        "/v1/banks/bank1", json={"clear_pdq_threshold": True}, headers=api.admin
    ).json()
    assert patched["pdq_threshold"] is None
    assert api.client.delete("/v1/banks/bank1", headers=api.admin).status_code == 204
    assert api.client.get("/v1/banks/bank1", headers=api.admin).status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "bank1"}, 409, "duplicate_bank"),
        ({"name": "has space"}, 422, "invalid_bank_name"),
        ({"name": ""}, 422, "invalid_bank_name"),
        ({"name": "ok", "pdq_threshold": 999}, 422, "invalid_request"),
        ({"name": "ok", "sharing": "everyone"}, 422, "invalid_request"),
        ({}, 422, "invalid_request"),
        ({"name": "ok", "surprise": 1}, 422, "invalid_request"),
    ],
)
def test_bad_bank_requests_change_nothing(
    api: Api, body: dict[str, object], status: int, code: str
) -> None:
    _create(api)
    response = api.client.post("/v1/banks", json=body, headers=api.admin)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    names = [b["name"] for b in api.client.get("/v1/banks", headers=api.admin).json()["data"]]
    assert names == ["bank1"]


def test_add_a_photo_stores_its_signals_as_one_item(api: Api) -> None:
    _create(api)
    data = encode(random_photo(5), "PNG")
    response = api.client.post(
        "/v1/banks/bank1/entries",
        files={"file": ("p.png", data)},
        data={"label": ["category:recruitment", "basis:member_policy"], "note": "seen on X"},
        headers=api.admin,
    )
    assert response.status_code == 201, response.text
    added = response.json()["added"]
    assert {e["signal_type"] for e in added} == {"pdq", "md5", "sha256"}
    assert len({e["item"] for e in added}) == 1
    assert added[0]["labels"] == ["basis:member_policy", "category:recruitment"]
    assert added[0]["note"] == "seen on X"
    again = api.client.post(
        "/v1/banks/bank1/entries", files={"file": ("p.png", data)}, headers=api.admin
    ).json()
    assert again["added"] == [] and len(again["existing"]) == 3
    assert _count(api) == 3


def test_low_quality_photo_banks_only_its_digests(api: Api) -> None:
    _create(api)
    response = api.client.post(
        "/v1/banks/bank1/entries",
        files={"file": ("f.png", encode(flat_image()))},
        headers=api.admin,
    ).json()
    assert {e["signal_type"] for e in response["added"]} == {"md5", "sha256"}
    assert response["refused"][0]["reason"] == "too low quality to match"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            {"signals": [{"signal_type": "pdq", "value": PDQ}], "labels": ["category:cats"]},
            "unknown_label",
        ),
        (
            {"signals": [{"signal_type": "pdq", "value": PDQ}], "labels": ["colour:red"]},
            "unknown_label",
        ),
        (
            {
                "signals": [
                    {"signal_type": "pdq", "value": PDQ},
                    {"signal_type": "pdq", "value": "xyz"},
                ]
            },
            "malformed_signal",
        ),
        ({"signals": [{"signal_type": "photodna", "value": "abc"}]}, "unknown_signal_type"),
        ({"signals": []}, "invalid_body"),
        ({"signals": [{"signal_type": "pdq"}]}, "invalid_body"),
        ({"signals": [{"signal_type": "pdq", "value": PDQ, "quality": 400}]}, "malformed_signal"),
    ],
)
def test_bad_entries_change_nothing(api: Api, body: dict[str, object], code: str) -> None:
    _create(api)
    response = api.client.post("/v1/banks/bank1/entries", json=body, headers=api.admin)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert _count(api) == 0


def test_adding_to_a_missing_bank_is_404(api: Api) -> None:
    body = {"signals": [{"signal_type": "pdq", "value": PDQ}]}
    response = api.client.post("/v1/banks/nope/entries", json=body, headers=api.admin)
    assert response.status_code == 404


def test_entries_page_with_a_cursor_and_retraction_is_kept(api: Api) -> None:
    _create(api)
    signals = [{"signal_type": "md5", "value": f"{i:032x}"} for i in range(5)]
    added = api.client.post(
        "/v1/banks/bank1/entries", json={"signals": signals}, headers=api.admin
    ).json()["added"]
    retracted = api.client.post(
        f"/v1/entries/{added[0]['id']}/retract",
        json={"reason": "false positive"},
        headers=api.admin,
    ).json()
    assert retracted["retracted_at"] and retracted["retraction_reason"] == "false positive"
    page = api.client.get("/v1/banks/bank1/entries?limit=2", headers=api.matcher).json()
    assert [e["id"] for e in page["data"]] == [added[1]["id"], added[2]["id"]]
    rest = api.client.get(
        f"/v1/banks/bank1/entries?limit=10&after_id={page['next_after_id']}", headers=api.matcher
    ).json()
    assert len(rest["data"]) == 2 and rest["next_after_id"] is None
    everything = api.client.get(
        "/v1/banks/bank1/entries?include_retracted=true", headers=api.matcher
    ).json()
    assert everything["count"] == 5
    assert api.client.get(f"/v1/entries/{added[0]['id']}", headers=api.matcher).json()[
        "retracted_at"
    ]


@pytest.mark.parametrize("fmt", ["jsonl", "threatexchange"])
def test_export_then_import_roundtrips(api: Api, fmt: str) -> None:
    _create(api)
    _create(api, "copy")
    api.client.post(
        "/v1/banks/bank1/entries",
        files={"file": ("p.png", encode(random_photo(9)))},
        data={"label": ["category:instruction"]},
        headers=api.admin,
    )
    exported = api.client.get(f"/v1/banks/bank1/export?format={fmt}", headers=api.matcher)
    assert exported.status_code == 200
    imported = api.client.post(
        f"/v1/banks/copy/import?format={fmt}", content=exported.content, headers=api.admin
    )
    assert imported.json() == {"added": 3, "existing": 0, "skipped_retracted": 0}

    def signals(bank: str) -> set[tuple[str, str]]:
        rows = api.client.get(f"/v1/banks/{bank}/entries", headers=api.admin).json()["data"]
        return {(e["signal_type"], e["value"]) for e in rows}

    assert signals("copy") == signals("bank1")


def test_a_bad_import_line_stores_nothing(api: Api) -> None:
    _create(api)
    body = f"pdq {PDQ}\nmd5 {'0' * 32}\npdq not-a-hash\n".encode()
    response = api.client.post(
        "/v1/banks/bank1/import?format=threatexchange", content=body, headers=api.admin
    )
    assert response.status_code == 422
    assert "line 3" in response.json()["error"]["message"]
    assert _count(api) == 0


def test_export_of_a_missing_bank_is_404(api: Api) -> None:
    assert api.client.get("/v1/banks/nope/export", headers=api.admin).status_code == 404
