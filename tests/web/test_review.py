"""Screening uploads, cases, decisions and appeals over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fireline.bootstrap import migrate
from fireline.domain import Role
from fireline.settings import Settings
from fireline.testing.media import encode, random_photo, truncated_jpeg
from tests.backends import SQL_BACKENDS, backend_url
from tests.web.support import Api, make_api

PERPETRATOR = "category:perpetrator_livestream"


def _bank(api: Api, bank: str, seed: int, *labels: str) -> int:
    api.client.post("/v1/banks", json={"name": bank}, headers=api.admin)
    response = api.client.post(
        f"/v1/banks/{bank}/entries",
        files={"file": ("p.png", encode(random_photo(seed)))},
        data={"label": list(labels)},
        headers=api.admin,
    )
    assert response.status_code == 201, response.text
    entry_id: int = response.json()["added"][0]["id"]
    return entry_id


def _screen(api: Api, data: bytes, **fields: str) -> Any:
    return api.client.post(
        "/v1/uploads",
        files={"file": ("upload.png", data)},
        data={"content_ref": "post-1", "uploader": "user-1", **fields},
        headers=api.matcher,
    )


def test_a_copy_of_perpetrator_content_is_blocked_reviewed_appealed_and_restored(
    api: Api,
) -> None:
    entry_id = _bank(api, "tvec", 1, PERPETRATOR)
    upload = encode(random_photo(1))
    screened = _screen(api, upload)
    assert screened.status_code == 200, screened.text
    body = screened.json()
    assert body["blocked"] is True
    assert body["content_status"] == "blocked"
    assert set(body["verdict"]["actions"]) == {"block", "preserve", "notify"}
    assert body["verdict"]["rules"] == ["perpetrator content, near-exact"]
    case_id = body["case_id"]
    reviewer, other = api.reviewer, api.admin

    # The reviewer sees the case at the head of the queue, with its evidence and media.
    queue = api.client.get("/v1/queue", headers=reviewer).json()["cases"]
    assert [c["id"] for c in queue] == [case_id]
    case = api.client.get(f"/v1/cases/{case_id}", headers=reviewer).json()
    assert case["severity"] == 5 and case["has_media"] is True
    assert case["evidence"]["matches"][0]["entry_id"] == entry_id
    media = api.client.get(f"/v1/cases/{case_id}/media", headers=reviewer)
    assert media.content == upload and media.headers["content-type"] == "image/png"
    assert media.headers["cache-control"] == "no-store"
    revealed = api.client.post(f"/v1/cases/{case_id}/reveal", headers=reviewer).json()
    assert revealed["today"] == 1
    assert api.client.get("/v1/exposure", headers=reviewer).json()["today"] == 1

    decided = api.client.post(
        f"/v1/cases/{case_id}/decision",
        json={"outcome": "remove", "reason": "a copy of the attack video"},
        headers=reviewer,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "decided"
    again = api.client.post(
        f"/v1/cases/{case_id}/decision", json={"outcome": "keep", "reason": "x"}, headers=other
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "case_decided"

    appeal = api.client.post(
        f"/v1/cases/{case_id}/appeals",
        json={"appellant": "user-1", "reason": "this is my news report"},
        headers=api.matcher,
    )
    assert appeal.status_code == 201, appeal.text
    appeal_id = appeal.json()["id"]
    assert [c["id"] for c in api.client.get("/v1/queue", headers=reviewer).json()["cases"]] == [
        case_id
    ]
    own = api.client.post(
        f"/v1/appeals/{appeal_id}/decision",
        json={"upheld": True, "reason": "I was wrong"},
        headers=reviewer,
    )
    assert own.status_code == 403 and own.json()["error"]["code"] == "same_reviewer"
    upheld = api.client.post(
        f"/v1/appeals/{appeal_id}/decision",
        json={"upheld": True, "reason": "not the attack video", "wrong_match": True},
        headers=other,
    )
    assert upheld.status_code == 200, upheld.text
    assert upheld.json()["state"] == "upheld"

    final = api.client.get(f"/v1/cases/{case_id}", headers=reviewer).json()
    assert final["content_status"] == "restored" and final["state"] == "closed"
    assert [(d["outcome"], d["on_appeal"]) for d in final["decisions"]] == [
        ("remove", False),
        ("keep", True),
    ]
    opinions = api.client.get(f"/v1/entries/{entry_id}/opinions", headers=api.admin).json()
    assert [o["kind"] for o in opinions["data"]] == ["dispute"]
    actions = [r["action"] for r in api.client.get("/v1/audit", headers=api.admin).json()["data"]]
    for action in ("upload.screened", "case.opened", "case.decided", "appeal.filed"):
        assert action in actions
    assert {"appeal.decided", "content.restored"} <= set(actions)
    assert api.client.get("/v1/audit/verify", headers=api.admin).json()["ok"] is True


def test_an_exempt_account_goes_to_a_person_not_to_removal(api: Api) -> None:
    _bank(api, "tvec", 2, PERPETRATOR)
    body = _screen(api, encode(random_photo(2)), account_class="news").json()
    assert body["blocked"] is False
    assert body["content_status"] == "visible"
    assert body["verdict"]["exempt"] is True
    assert "review" in body["verdict"]["actions"]
    case = api.client.get(f"/v1/cases/{body['case_id']}", headers=api.reviewer).json()
    assert case["account_class"] == "news" and case["state"] == "open"


def test_an_unrelated_upload_passes_and_leaves_only_the_fact_it_was_screened(api: Api) -> None:
    _bank(api, "tvec", 3, PERPETRATOR)
    before = api.client.get("/v1/audit", headers=api.admin).json()["data"]
    body = _screen(api, encode(random_photo(33))).json()
    assert (body["blocked"], body["case_id"], body["matched"]) == (False, None, False)
    after = api.client.get("/v1/audit", headers=api.admin).json()["data"]
    (record,) = after[len(before) :]
    assert (record["action"], record["subject"], record["detail"]) == (
        "upload.screened",
        "content:post-1",
        {"matched": False, "content_status": "visible"},
    )
    assert api.client.get("/v1/cases", headers=api.reviewer).json()["cases"] == []


def test_screening_signals_hashed_by_the_platform(api: Api) -> None:
    _bank(api, "tvec", 4, PERPETRATOR)
    hashed = api.client.post(
        "/v1/hash", files={"file": ("p.png", encode(random_photo(4)))}, headers=api.matcher
    ).json()
    pdq = next(s for s in hashed["signals"] if s["signal_type"] == "pdq")
    body = api.client.post(
        "/v1/uploads",
        json={"content_ref": "post-9", "signals": [pdq]},
        headers=api.matcher,
    ).json()
    assert body["blocked"] is True
    case = api.client.get(f"/v1/cases/{body['case_id']}", headers=api.reviewer).json()
    assert case["has_media"] is False
    assert api.client.get(f"/v1/cases/{body['case_id']}/media", headers=api.reviewer).json()[
        "error"
    ]["code"] == ("no_media")


FILE = {"file": ("u.png", b"x")}
BAD_SIGNAL = {"signal_type": "pdq", "value": "zz"}


@pytest.mark.parametrize(
    ("request_kwargs", "status", "code"),
    [
        ({"files": FILE, "data": {}}, 422, "invalid_body"),
        (
            {
                "files": {"file": ("u.png", b"x")},
                "data": {"content_ref": "p", "account_class": "vip"},
            },
            422,
            "invalid_body",
        ),
        (
            {"files": FILE, "data": {"content_ref": " "}},
            422,
            "invalid_content_ref",
        ),
        (
            {"json": {"content_ref": "p", "signals": [BAD_SIGNAL]}},
            422,
            None,
        ),
        ({"json": {"signals": []}}, 422, "invalid_body"),
        ({"content": b"raw", "headers": {"content-type": "text/plain"}}, 415, None),
    ],
)
def test_bad_uploads_are_refused_and_change_nothing(
    api: Api, request_kwargs: dict[str, Any], status: int, code: str | None
) -> None:
    headers = {**api.matcher, **request_kwargs.pop("headers", {})}
    response = api.client.post("/v1/uploads", headers=headers, **request_kwargs)
    assert response.status_code == status, response.text
    if code:
        assert response.json()["error"]["code"] == code
    assert api.client.get("/v1/cases", headers=api.reviewer).json()["cases"] == []


def test_a_corrupt_file_is_refused_and_opens_no_case(api: Api) -> None:
    _bank(api, "tvec", 5, PERPETRATOR)
    response = _screen(api, truncated_jpeg(5))
    assert response.status_code == 415, response.text
    assert api.client.get("/v1/cases", headers=api.reviewer).json()["cases"] == []


def test_reports_open_cases_and_bad_reports_are_refused(api: Api) -> None:
    made = api.client.post(
        "/v1/reports",
        json={"content_ref": "post-5", "note": "violent video", "labels": [PERPETRATOR]},
        headers=api.matcher,
    )
    assert made.status_code == 201, made.text
    case = made.json()
    assert (case["source"], case["content_status"], case["severity"]) == ("report", "visible", 5)
    bad = api.client.post(
        "/v1/reports", json={"content_ref": "p", "labels": ["category:nope"]}, headers=api.matcher
    )
    assert bad.status_code == 422
    nothing = api.client.post(
        f"/v1/cases/{case['id']}/appeals", json={"appellant": "u"}, headers=api.matcher
    )
    assert nothing.status_code == 409 and nothing.json()["error"]["code"] == "nothing_to_appeal"
    empty = api.client.post(
        f"/v1/cases/{case['id']}/decision",
        json={"outcome": "remove", "reason": ""},
        headers=api.reviewer,
    )
    assert empty.status_code == 422
    assert len(api.client.get("/v1/cases", headers=api.reviewer).json()["cases"]) == 1


@pytest.fixture(params=SQL_BACKENDS[:1])
def negative_api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    policy = tmp_path / "policy.toml"
    policy.write_text(
        'negative_banks = ["benign"]\n[[rule]]\nname = "block all"\nactions = ["block"]\n'
    )
    settings = Settings(
        database_url=backend_url(request, request.param, migrated=True), policy_file=policy
    )
    migrate(settings)
    yield from make_api(settings)


def test_a_negative_bank_suppresses_the_match(negative_api: Api) -> None:
    api = negative_api
    _bank(api, "tvec", 6, PERPETRATOR)
    _bank(api, "benign", 6)
    body = _screen(api, encode(random_photo(6))).json()
    assert body["blocked"] is False and body["case_id"] is None
    # The photo's three banked signals (pdq, md5, sha256) are each suppressed.
    assert body["verdict"]["actions"] == [] and len(body["verdict"]["suppressed"]) == 3
    _bank(api, "tvec", 7, PERPETRATOR)
    assert _screen(api, encode(random_photo(7))).json()["blocked"] is True


def test_an_invalid_policy_file_stops_the_start(tmp_path: Path) -> None:
    from fireline.bootstrap import build
    from fireline.domain import InvalidInput

    policy = tmp_path / "policy.toml"
    policy.write_text('[[rule]]\nname = "x"\nactions = ["delete"]\n')
    with pytest.raises(InvalidInput, match=r"policy.toml:3: .*unknown action"):
        build(Settings(database_url="memory://", policy_file=policy))


def test_quarantine_lists_and_release_refuses_an_entry_not_held(api: Api) -> None:
    assert api.client.get("/v1/quarantine", headers=api.reviewer).json() == {"entries": []}
    response = api.client.post("/v1/quarantine/5/release", headers=api.roles[Role.REVIEWER])
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_quarantined"
