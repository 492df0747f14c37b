"""Banks and entries over HTTP: lifecycle, validation that changes nothing, import/export."""

from __future__ import annotations

import json

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
    assert created["owner"] == "local"  # the organisation of the key that created it
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
        ({"name": "trailing-newline\n"}, 422, "invalid_bank_name"),
        ({"name": "ok", "description": "nul\x00"}, 422, "invalid_text"),
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
    page = api.client.get("/v1/banks/bank1/entries?limit=2", headers=api.reviewer).json()
    assert [e["id"] for e in page["data"]] == [added[1]["id"], added[2]["id"]]
    rest = api.client.get(
        f"/v1/banks/bank1/entries?limit=10&after_id={page['next_after_id']}", headers=api.reviewer
    ).json()
    assert len(rest["data"]) == 2 and rest["next_after_id"] is None
    everything = api.client.get(
        "/v1/banks/bank1/entries?include_retracted=true", headers=api.reviewer
    ).json()
    assert everything["count"] == 5
    assert api.client.get(f"/v1/entries/{added[0]['id']}", headers=api.reviewer).json()[
        "retracted_at"
    ]


@pytest.mark.parametrize("fmt", ["jsonl", "threatexchange", "threatexchange_csv"])
def test_export_then_import_roundtrips(api: Api, fmt: str) -> None:
    _create(api)
    _create(api, "copy")
    api.client.post(
        "/v1/banks/bank1/entries",
        files={"file": ("p.png", encode(random_photo(9)))},
        data={"label": ["category:instruction"]},
        headers=api.admin,
    )
    exported = api.client.get(f"/v1/banks/bank1/export?format={fmt}", headers=api.reviewer)
    assert exported.status_code == 200
    imported = api.client.post(
        f"/v1/banks/copy/import?format={fmt}", content=exported.content, headers=api.admin
    )
    assert imported.json() == {
        "added": 3,
        "existing": 0,
        "skipped_retracted": 0,
        "skipped_unsupported": 0,
        "skipped_negative": 0,
    }

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


# Unstorable text: PostgreSQL refuses NUL (it answered 503), and a lone surrogate (a JSON
# "\\ud800" escape) cannot be encoded by any driver (500, and the in-memory store kept it).
NUL = '"nul \\u0000"'
SURROGATE = '"lone \\ud800"'
TEXT_REQUESTS = [
    ("POST", "/v1/banks", '{{"name": "other", "description": {}}}'),
    ("PATCH", "/v1/banks/bank1", '{{"description": {}}}'),
    (
        "POST",
        "/v1/banks/bank1/entries",
        '{{"signals": [{{"signal_type": "md5", "value": "' + "1" * 32 + '"}}], "note": {}}}',
    ),
    ("POST", "/v1/entries/1/retract", '{{"reason": {}}}'),
    ("POST", "/v1/keys", '{{"name": {}}}'),
]


@pytest.mark.parametrize("text", [NUL, SURROGATE], ids=["nul", "surrogate"])
@pytest.mark.parametrize(("method", "path", "template"), TEXT_REQUESTS)
def test_text_no_database_can_keep_is_refused_and_changes_nothing(
    api: Api, method: str, path: str, template: str, text: str
) -> None:
    _create(api, description="kept")
    body = {"signals": [{"signal_type": "md5", "value": "0" * 32}]}
    api.client.post("/v1/banks/bank1/entries", json=body, headers=api.admin)

    def state() -> list[object]:
        return [
            api.client.get(path, headers=api.admin).json()
            for path in ("/v1/banks", "/v1/keys", "/v1/banks/bank1/entries?include_retracted=true")
        ]

    before = state()
    response = api.client.request(
        method,
        path,
        content=template.format(text).encode(),
        headers={**api.admin, "content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] in {"invalid_text", "invalid_request"}
    assert state() == before


# A bank name with a NUL cannot be looked up in PostgreSQL at all (it answered 503).
_SIGNALS = {"signals": [{"signal_type": "md5", "value": "0" * 32}]}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/banks/a%00b", None),
        ("PATCH", "/v1/banks/a%00b", {"description": "x"}),
        ("DELETE", "/v1/banks/a%00b", None),
        ("GET", "/v1/banks/a%00b/entries", None),
        ("POST", "/v1/banks/a%00b/entries", _SIGNALS),
        ("GET", "/v1/banks/a%00b/export", None),
        ("POST", "/v1/banks/a%00b/import", None),
        ("GET", "/v1/banks/%ED%A0%80", None),
    ],
)
def test_unstorable_bank_names_are_not_found(
    api: Api, method: str, path: str, body: dict[str, object] | None
) -> None:
    response = api.client.request(method, path, json=body, headers=api.admin)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "bank_not_found"


# Ids no SQL integer column can hold: the driver could not bind them (a 500 on SQLite,
# "bigint out of range" 503 on PostgreSQL). An id is an id: too big means not found.
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/v1/entries/{2**70}"),
        ("POST", f"/v1/entries/{2**70}/retract"),
        ("GET", f"/v1/entries/{2**63}"),
        ("GET", "/v1/entries/-1"),
    ],
)
def test_ids_out_of_any_range_are_not_found(api: Api, method: str, path: str) -> None:
    _create(api)
    response = api.client.request(method, path, headers=api.admin)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "entry_not_found"


@pytest.mark.parametrize("after_id", [2**63, 2**70])
def test_a_cursor_past_the_last_possible_id_is_an_empty_page(api: Api, after_id: int) -> None:
    _create(api)
    body = {"signals": [{"signal_type": "md5", "value": "0" * 32}]}
    api.client.post("/v1/banks/bank1/entries", json=body, headers=api.admin)
    response = api.client.get(f"/v1/banks/bank1/entries?after_id={after_id}", headers=api.admin)
    assert response.status_code == 200, response.text
    assert response.json() == {"data": [], "count": 0, "next_after_id": None}


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"label": ["category:recruitment"] * 300}, {}),
        ({}, {"content-type": "multipart/form-data"}),
    ],
    ids=["too-many-fields", "no-boundary"],
)
def test_unreadable_multipart_is_refused_and_stores_nothing(
    api: Api, data: dict[str, list[str]], fields: dict[str, str]
) -> None:
    _create(api)
    photo = encode(random_photo(4))
    if fields:
        response = api.client.post(
            "/v1/banks/bank1/entries", content=b"--x--\r\n", headers={**api.admin, **fields}
        )
    else:
        response = api.client.post(
            "/v1/banks/bank1/entries",
            files={"file": ("p.png", photo)},
            data=data,
            headers=api.admin,
        )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_multipart"
    assert _count(api) == 0


MD5S = ["a" * 32, "b" * 32]


@pytest.mark.parametrize(
    ("query", "body"),
    [
        (
            "format=threatexchange",
            "\ufeffmd5 {0}\r\n\r\nmd5 {1}\r\nmd5 {1}\r\n",
        ),
        (
            "format=jsonl",
            '\ufeff{{"signal_type": "md5", "value": "{0}", "note": "a\u2028b"}}\r\n'
            '{{"signal_type": "md5", "value": "{1}"}}\n\n{{"signal_type": "md5", "value": "{1}"}}',
        ),
    ],
    ids=["threatexchange-bom-crlf", "jsonl-bom-line-separator"],
)
def test_imports_from_other_tools_are_read_whole(api: Api, query: str, body: str) -> None:
    _create(api)
    response = api.client.post(
        f"/v1/banks/bank1/import?{query}", content=body.format(*MD5S).encode(), headers=api.admin
    )
    assert response.json() == {
        "added": 2,
        "existing": 1,
        "skipped_retracted": 0,
        "skipped_unsupported": 0,
        "skipped_negative": 0,
    }


@pytest.mark.parametrize(
    ("query", "body", "code"),
    [
        ("format=jsonl", b"[" * 100_000 + b"]" * 100_000, "invalid_input"),
        (
            "format=jsonl",
            b'{"signal_type": "md5", "quality": ' + b"9" * 5000 + b"}",
            "invalid_input",
        ),
        (
            "format=jsonl",
            b'{"signal_type": "md5", "value": "'
            + b"0" * 32
            + b'", "quality": 1180591620717411303424}',
            "malformed_signal",
        ),
        ("format=jsonl", b"\xff\xfe", "invalid_encoding"),
        ("label=category:bogus", b"", "unknown_label"),
        ("format=threatexchange&signal_type=photodna", b"", "unknown_signal_type"),
        ("format=tat", b"[" * 100_000 + b"]" * 100_000, "malformed_document"),
        (
            "format=tat",
            b'{"results": [{"hash_digest": "00", "algorithm": "X"}]}',
            "unknown_signal_type",
        ),
        ("format=hma", b'{"pdq": "' + PDQ.encode() + b'"}', "export_only_format"),
        ("format=threatexchange_csv", b"a,b\n1,2\n", "malformed_document"),
    ],
    ids=[
        "deep",
        "long-number",
        "huge-quality",
        "not-utf8",
        "bad-label",
        "bad-type",
        "tat-deep",
        "tat-unknown-algorithm",
        "hma-is-export-only",
        "csv-without-header",
    ],
)
def test_bad_imports_are_refused_and_store_nothing(
    api: Api, query: str, body: bytes, code: str
) -> None:
    _create(api)
    response = api.client.post(f"/v1/banks/bank1/import?{query}", content=body, headers=api.admin)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code
    assert _count(api) == 0


def test_a_tat_hash_list_is_imported_over_http(api: Api) -> None:
    _create(api)
    body = {
        "count": 3,
        "next": None,
        "checkpoint": "1.0,3",
        "results": [
            {"hash_digest": PDQ, "algorithm": "PDQ", "ideology": "islamist", "file_type": "jpg"},
            {"hash_digest": "e" * 128, "algorithm": "SHA512", "file_type": "jpg"},
            {"hash_digest": "a" * 32, "algorithm": "MD5", "file_type": "mp4", "deleted": True},
        ],
    }
    response = api.client.post("/v1/banks/bank1/import?format=tat", json=body, headers=api.admin)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "added": 1,
        "existing": 0,
        "skipped_retracted": 1,
        "skipped_unsupported": 1,
        "skipped_negative": 0,
    }
    (entry,) = api.client.get("/v1/banks/bank1/entries", headers=api.admin).json()["data"]
    assert (entry["signal_type"], entry["labels"]) == ("pdq", ["basis:designation_list"])


def test_hma_bodies_and_csv_are_exported_over_http(api: Api) -> None:
    _create(api)
    api.client.post(
        "/v1/banks/bank1/entries",
        files={"file": ("p.png", encode(random_photo(9)))},
        headers=api.admin,
    )
    hma = api.client.get("/v1/banks/bank1/export?format=hma", headers=api.reviewer)
    assert hma.status_code == 200
    assert hma.headers["content-type"].startswith("application/x-ndjson")
    (line,) = hma.text.splitlines()
    assert set(json.loads(line)) == {"pdq", "note"}
    table = api.client.get("/v1/banks/bank1/export?format=threatexchange_csv", headers=api.reviewer)
    assert table.headers["content-type"].startswith("text/csv")
    assert table.text.splitlines()[0] == "signal_type,signal_str,collab,category,tags"
    refused = api.client.get("/v1/banks/bank1/export?format=tat", headers=api.reviewer)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "import_only_format"
