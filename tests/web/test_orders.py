"""Removal orders, preservation holds and notices over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fireline.domain import Role
from tests.web.support import Api

ORDER = {
    "authority": "Bundeskriminalamt",
    "reference": "TCO-2026-17",
    "content_ref": "post-1",
    "reason": "glorification of a terrorist attack",
    "content_url": "https://example.org/p/1",
    "uploader": "user-1",
    "withhold_notice_days": 7,
}


def _receive(api: Api, **changes: Any) -> Any:
    response = api.client.post(
        "/v1/orders", json={**ORDER, **changes}, headers=api.roles[Role.LEGAL]
    )
    return response


def test_an_order_is_received_complied_with_held_and_noticed(api: Api) -> None:
    legal = api.roles[Role.LEGAL]
    received = _receive(api)
    assert received.status_code == 201, received.text
    order = received.json()
    assert order["state"] == "received" and order["overdue"] is False
    assert 59.9 <= order["minutes_left"] <= 60
    case = api.client.get(f"/v1/cases/{order['case_id']}", headers=api.reviewer).json()
    assert (case["source"], case["severity"]) == ("order", 5)

    listed = api.client.get("/v1/orders?state=received", headers=legal).json()["orders"]
    assert [o["id"] for o in listed] == [order["id"]]
    assert api.client.get("/v1/orders?overdue=true", headers=legal).json()["orders"] == []

    complied = api.client.post(
        f"/v1/orders/{order['id']}/comply",
        json={"confirmation": "disabled in the EU at once"},
        headers=legal,
    )
    assert complied.status_code == 200, complied.text
    body = complied.json()
    assert body["state"] == "complied" and body["within_deadline"] is True
    assert body["closed_by"].startswith("key:test legal@")
    (hold,) = body["holds"]
    assert hold["source"] == "order" and hold["state"] == "active"
    (notice,) = body["notices"]
    assert notice["withheld"] is True and notice["kind"] == "removed"
    case = api.client.get(f"/v1/cases/{order['case_id']}", headers=api.reviewer).json()
    assert (case["state"], case["content_status"]) == ("decided", "removed")

    again = api.client.post(
        f"/v1/orders/{order['id']}/comply", json={"confirmation": "x"}, headers=legal
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "order_closed"

    until = (datetime.now(UTC) + timedelta(days=400)).isoformat()
    extended = api.client.post(
        f"/v1/holds/{hold['id']}/extend",
        json={"until": until, "reason": "criminal proceedings"},
        headers=legal,
    )
    assert extended.status_code == 200, extended.text
    assert extended.json()["extension_reason"] == "criminal proceedings"
    assert api.client.post("/v1/holds/purge", headers=legal).json() == {"holds": []}
    assert [h["id"] for h in api.client.get("/v1/holds", headers=legal).json()["holds"]] == [
        hold["id"]
    ]
    ready = api.client.get("/v1/notices?ready=true", headers=legal).json()["notices"]
    assert ready == []
    sent = api.client.post(
        "/v1/notices",
        json={
            "kind": "restored",
            "content_ref": "post-1",
            "reason": "restored",
            "case_id": order["case_id"],
        },
        headers=legal,
    )
    assert sent.status_code == 201, sent.text
    assert len(api.client.get("/v1/notices", headers=legal).json()["notices"]) == 2

    actions = [r["action"] for r in api.client.get("/v1/audit", headers=api.admin).json()["data"]]
    for action in (
        "order.received",
        "order.complied",
        "hold.created",
        "notice.sent",
        "hold.extended",
    ):
        assert action in actions
    assert api.client.get("/v1/audit/verify", headers=api.admin).json()["ok"] is True


def test_a_cases_hold_is_released_and_an_orders_is_not(api: Api) -> None:
    legal = api.roles[Role.LEGAL]
    case = api.container.review.open_case(source="report", content_ref="post-2")
    kept = api.container.holds.preserve_case(case.id, actor="test")
    released = api.client.post(
        f"/v1/holds/{kept.id}/release", json={"reason": "decided keep"}, headers=legal
    )
    assert released.status_code == 200, released.text
    body = released.json()
    assert (body["state"], body["release_reason"]) == ("released", "decided keep")
    assert body["released_at"] is not None
    listed = api.client.get("/v1/holds?state=released", headers=legal).json()["holds"]
    assert [h["id"] for h in listed] == [kept.id]
    again = api.client.post(f"/v1/holds/{kept.id}/release", json={"reason": "x"}, headers=legal)
    assert again.status_code == 409 and again.json()["error"]["code"] == "hold_released"

    order = _receive(api).json()
    (hold,) = api.client.post(
        f"/v1/orders/{order['id']}/comply", json={"confirmation": "done"}, headers=legal
    ).json()["holds"]
    refused = api.client.post(
        f"/v1/holds/{hold['id']}/release", json={"reason": "x"}, headers=legal
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "hold_by_order"
    reviewer = api.client.post(
        f"/v1/holds/{hold['id']}/release", json={"reason": "x"}, headers=api.reviewer
    )
    assert reviewer.status_code == 403


def test_an_order_is_refused_with_a_justification(api: Api) -> None:
    legal = api.roles[Role.LEGAL]
    order = _receive(api).json()
    refused = api.client.post(
        f"/v1/orders/{order['id']}/refuse",
        json={"state": "refused", "justification": "manifest error: wrong content"},
        headers=legal,
    )
    assert refused.status_code == 200, refused.text
    assert refused.json()["state"] == "refused"
    assert (
        api.client.get("/v1/orders?state=refused", headers=legal)
        .json()["orders"][0]["justification"]
        .startswith("manifest error")
    )


BAD_REQUESTS = [
    ("POST", "/v1/orders", {**ORDER, "authority": ""}, 422, "missing_field"),
    ("POST", "/v1/orders", {"reference": "x"}, 422, "missing_field"),
    ("POST", "/v1/orders", {**ORDER, "withhold_notice_days": 90}, 422, "invalid_withhold_days"),
    ("POST", "/v1/orders", {**ORDER, "surprise": 1}, 422, "invalid_request"),
    ("POST", "/v1/orders/1/comply", {}, 422, "missing_field"),
    ("POST", "/v1/orders/1/refuse", {"state": "complied"}, 422, "invalid_request"),
    ("POST", "/v1/orders/999/comply", {"confirmation": "x"}, 404, "order_not_found"),
    ("POST", "/v1/holds/999/extend", {"until": "2099-01-01T00:00:00Z", "reason": "x"},
     404, "hold_not_found"),
    ("POST", "/v1/holds/999/release", {"reason": "x"}, 404, "hold_not_found"),
    ("POST", "/v1/holds/1/release", {}, 422, "missing_field"),
    ("POST", "/v1/notices", {"kind": "removed", "content_ref": "p", "reason": "r"},
     422, "missing_field"),
    ("GET", "/v1/orders?state=lost", None, 422, "invalid_request"),
]  # fmt: skip


def test_bad_requests_are_refused_and_change_nothing(api: Api) -> None:
    legal = api.roles[Role.LEGAL]
    order = _receive(api).json()
    records = len(api.container.audit.records(limit=1000))
    for method, path, body, status, code in BAD_REQUESTS:
        response = api.client.request(method, path, json=body, headers=legal)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), path
    assert len(api.container.audit.records(limit=1000)) == records
    assert api.client.get(f"/v1/orders/{order['id']}", headers=legal).json()["state"] == "received"
    duplicate = _receive(api)
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "duplicate_order"
    assert len(api.container.review.list_cases()) == 1
