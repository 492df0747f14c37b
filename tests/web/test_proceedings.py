"""Review proceedings against removal orders over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fireline.domain import Role
from tests.web.support import Api
from tests.web.test_orders import ORDER

PROCEEDING = {
    "party": "hosting_provider",
    "body": "Verwaltungsgericht Wiesbaden",
    "reference": "6 K 17/26",
}


def _complied(api: Api, **changes: Any) -> dict[str, Any]:
    legal = api.roles[Role.LEGAL]
    order: dict[str, Any] = api.client.post(
        "/v1/orders", json={**ORDER, **changes}, headers=legal
    ).json()
    done = api.client.post(
        f"/v1/orders/{order['id']}/comply", json={"confirmation": "removed"}, headers=legal
    )
    assert done.status_code == 200, done.text
    return order


def test_a_proceeding_is_brought_and_its_annulment_reinstates_the_content(api: Api) -> None:
    legal = api.roles[Role.LEGAL]
    received_at = datetime.now(UTC) - timedelta(hours=2)
    order = _complied(api, received_at=received_at.isoformat())
    brought_at = (received_at + timedelta(hours=1)).isoformat()
    created = api.client.post(
        f"/v1/orders/{order['id']}/proceedings",
        json={**PROCEEDING, "brought_at": brought_at},
        headers=legal,
    )
    assert created.status_code == 201, created.text
    proceeding = created.json()
    assert proceeding["state"] == "pending" and proceeding["outcome"] is None
    assert (proceeding["order_id"], proceeding["party"], proceeding["body"]) == (
        order["id"],
        "hosting_provider",
        "Verwaltungsgericht Wiesbaden",
    )
    listed = api.client.get(f"/v1/orders/{order['id']}/proceedings", headers=legal).json()
    assert listed == {"proceedings": [proceeding]}
    assert api.client.get(f"/v1/orders/{order['id']}", headers=legal).json()["proceedings"] == [
        proceeding
    ]
    assert api.client.get(f"/v1/proceedings/{proceeding['id']}", headers=legal).json() == (
        proceeding
    )

    decided = api.client.post(
        f"/v1/proceedings/{proceeding['id']}/decision",
        json={"outcome": "annulled", "reinstatement_required": True},
        headers=legal,
    )
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert (body["state"], body["outcome"], body["reinstatement_required"]) == (
        "decided",
        "annulled",
        True,
    )
    assert body["decided_by"].startswith("key:test legal@") and body["decided_at"]
    case = api.client.get(f"/v1/cases/{order['case_id']}", headers=api.reviewer).json()
    assert (case["content_status"], case["outcome"]) == ("restored", "keep")

    again = api.client.post(
        f"/v1/proceedings/{proceeding['id']}/decision", json={"outcome": "upheld"}, headers=legal
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "proceeding_decided"

    actions = [r["action"] for r in api.client.get("/v1/audit", headers=api.admin).json()["data"]]
    for action in ("proceeding.brought", "proceeding.decided", "content.restored"):
        assert action in actions
    year = datetime.now(UTC).year
    article7 = api.client.get(f"/v1/transparency/article7?year={year}", headers=api.admin).json()
    assert article7["points"]["e"]["figures"]["brought"] == 1
    assert article7["points"]["e"]["figures"]["decided_for_provider"] == 1
    assert article7["points"]["f"]["figures"]["reinstated"] == 1


BAD_REQUESTS = [
    ("POST", "/v1/orders/999/proceedings", PROCEEDING, 404, "order_not_found"),
    ("GET", "/v1/orders/999/proceedings", None, 404, "order_not_found"),
    ("GET", "/v1/proceedings/999", None, 404, "proceeding_not_found"),
    ("POST", "/v1/orders/1/proceedings", {**PROCEEDING, "body": ""}, 422, "missing_field"),
    ("POST", "/v1/orders/1/proceedings", {**PROCEEDING, "party": "me"}, 422, "invalid_party"),
    ("POST", "/v1/orders/1/proceedings", {**PROCEEDING, "brought_at": "2026-01-01T00:00:00"},
     422, "invalid_time"),
    ("POST", "/v1/orders/1/proceedings", {**PROCEEDING, "brought_at": "2000-01-01T00:00:00Z"},
     422, "brought_before_received"),
    ("POST", "/v1/orders/1/proceedings", {**PROCEEDING, "court": "x"}, 422, "invalid_request"),
    ("POST", "/v1/proceedings/999/decision", {"outcome": "annulled"}, 404,
     "proceeding_not_found"),
    ("POST", "/v1/proceedings/1/decision", {}, 422, "missing_field"),
    ("POST", "/v1/proceedings/1/decision", {"outcome": "quashed"}, 422, "invalid_outcome"),
    ("POST", "/v1/proceedings/1/decision", {"outcome": "upheld", "reinstatement_required": True},
     422, "reinstatement_upheld"),
    ("POST", "/v1/proceedings/1/decision", {"outcome": "annulled",
     "decided_at": "2000-01-01T00:00:00Z"}, 422, "decided_before_brought"),
    ("POST", "/v1/proceedings/1/decision", {"outcome": "annulled",
     "decided_at": "2999-01-01T00:00:00Z"}, 422, "invalid_time"),
]  # fmt: skip


def test_bad_requests_are_refused_and_change_nothing(api: Api) -> None:
    legal = api.roles[Role.LEGAL]
    order = _complied(api)
    first = api.client.post(
        f"/v1/orders/{order['id']}/proceedings", json=PROCEEDING, headers=legal
    ).json()
    assert first["id"] == 1
    records = len(api.container.audit.records(limit=1000))
    for method, path, body, status, code in BAD_REQUESTS:
        response = api.client.request(method, path, json=body, headers=legal)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), path
    duplicate = api.client.post(
        f"/v1/orders/{order['id']}/proceedings", json=PROCEEDING, headers=legal
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "duplicate_proceeding"
    assert len(api.container.audit.records(limit=1000)) == records
    assert api.client.get("/v1/proceedings/1", headers=legal).json() == first
    case = api.client.get(f"/v1/cases/{order['case_id']}", headers=api.reviewer).json()
    assert case["content_status"] == "removed"


def test_a_refused_orders_content_cannot_be_reinstated(api: Api) -> None:
    legal = api.roles[Role.LEGAL]
    order = api.client.post("/v1/orders", json=ORDER, headers=legal).json()
    api.client.post(
        f"/v1/orders/{order['id']}/refuse",
        json={"state": "refused", "justification": "manifest error"},
        headers=legal,
    )
    proceeding = api.client.post(
        f"/v1/orders/{order['id']}/proceedings",
        json={**PROCEEDING, "party": "content_provider"},
        headers=legal,
    ).json()
    refused = api.client.post(
        f"/v1/proceedings/{proceeding['id']}/decision",
        json={"outcome": "varied", "reinstatement_required": True},
        headers=legal,
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "nothing_to_reinstate"
    assert api.client.get(f"/v1/proceedings/{proceeding['id']}", headers=legal).json() == (
        proceeding
    )
    reviewer = api.client.post(
        f"/v1/proceedings/{proceeding['id']}/decision",
        json={"outcome": "varied"},
        headers=api.reviewer,
    )
    assert reviewer.status_code == 403
