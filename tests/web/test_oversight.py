"""Organisations, the audit log and the aggregate figures over HTTP."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text

from fireline.domain import Role
from fireline.domain.audit import canonical_json
from tests.web.support import Api


def _key_of(api: Api, org: str, role: str) -> dict[str, str]:
    created = api.client.post(
        "/v1/keys", json={"name": f"{org}-{role}", "role": role, "org": org}, headers=api.admin
    )
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['secret']}"}


def test_organisations_are_created_and_listed(api: Api) -> None:
    created = api.client.post(
        "/v1/orgs", json={"name": "acme", "description": "a platform"}, headers=api.admin
    )
    assert created.status_code == 201, created.text
    assert (created.json()["name"], created.json()["description"]) == ("acme", "a platform")
    listed = api.client.get("/v1/orgs", headers=api.admin).json()
    assert [o["name"] for o in listed["data"]] == ["acme", "local"]
    again = api.client.post("/v1/orgs", json={"name": "acme"}, headers=api.admin)
    assert again.status_code == 409 and again.json()["error"]["code"] == "duplicate_org"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "has space"}, "invalid_org_name"),
        ({"name": ""}, "invalid_request"),
        ({"name": "x", "extra": 1}, "invalid_request"),
        ({"name": "x", "description": "nul\u0000"}, "invalid_text"),
    ],
)
def test_a_bad_organisation_is_refused_and_changes_nothing(
    api: Api, body: dict[str, object], code: str
) -> None:
    before = api.client.get("/v1/orgs", headers=api.admin).json()
    response = api.client.post("/v1/orgs", json=body, headers=api.admin)
    assert response.status_code == 422 and response.json()["error"]["code"] == code
    assert api.client.get("/v1/orgs", headers=api.admin).json() == before


def test_a_bank_belongs_to_the_organisation_of_the_key_that_created_it(api: Api) -> None:
    api.client.post("/v1/orgs", json={"name": "acme"}, headers=api.admin)
    curator = _key_of(api, "acme", "curator")
    bank = api.client.post("/v1/banks", json={"name": "b1"}, headers=curator).json()
    assert bank["owner"] == "acme"
    records = api.client.get("/v1/audit", headers=api.roles[Role.AUDITOR]).json()["data"]
    assert (records[-1]["actor"], records[-1]["action"], records[-1]["subject"]) == (
        "key:acme-curator@acme",
        "bank.created",
        "bank:b1",
    )


def test_the_audit_log_pages_and_its_hashes_can_be_recomputed(api: Api) -> None:
    auditor = api.roles[Role.AUDITOR]
    api.client.post("/v1/banks", json={"name": "b1"}, headers=api.admin)
    body = {"signals": [{"signal_type": "md5", "value": f"{i:032x}"} for i in range(3)]}
    api.client.post("/v1/banks/b1/entries", json=body, headers=api.admin)
    everything = api.client.get("/v1/audit?limit=1000", headers=auditor).json()["data"]
    assert everything[-1]["action"] == "entries.added"
    assert everything[-1]["detail"]["count"] == 3
    # Anyone can check a record from its JSON alone, as docs/roles.md describes.
    for record in everything:
        fields = {k: v for k, v in record.items() if k != "hash"}
        assert hashlib.sha256(canonical_json(fields)).hexdigest() == record["hash"]
    page = api.client.get("/v1/audit?after=2&limit=2", headers=auditor).json()
    assert [r["seq"] for r in page["data"]] == [3, 4] and page["next_after"] == 4
    verified = api.client.get("/v1/audit/verify", headers=auditor).json()
    assert verified["ok"] is True and verified["records"] == len(everything)
    assert verified["last_hash"] == everything[-1]["hash"]


@pytest.mark.parametrize("query", ["after=-1", "limit=0", "limit=1001", "after=x"])
def test_bad_audit_pages_are_refused(api: Api, query: str) -> None:
    response = api.client.get(f"/v1/audit?{query}", headers=api.admin)
    assert response.status_code == 422


def test_verify_reports_an_altered_record(api: Api) -> None:
    engine = api.container.store.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_records SET actor = 'forger' WHERE seq = 2"))
    verified = api.client.get("/v1/audit/verify", headers=api.roles[Role.AUDITOR]).json()
    assert (verified["ok"], verified["bad_seq"], verified["problem"]) == (False, 2, "altered")
    assert verified["records"] == 1


def test_figures_are_counts_only(api: Api) -> None:
    api.client.post("/v1/banks", json={"name": "b1", "sharing": "members"}, headers=api.admin)
    value = "ab" * 16
    body = {
        "signals": [{"signal_type": "md5", "value": value}],
        "labels": ["category:attacker_manifesto"],
    }
    api.client.post("/v1/banks/b1/entries", json=body, headers=api.admin)
    response = api.client.get("/v1/figures", headers=api.roles[Role.OBSERVER])
    assert response.status_code == 200, response.text
    figures = response.json()
    assert figures["banks"] == 1 and figures["organisations"] == 1
    assert figures["banks_by_sharing"]["members"] == 1
    assert (figures["active_entries"], figures["retracted_entries"]) == (1, 0)
    assert figures["active_by_signal_type"] == {"md5": 1}
    assert figures["active_by_category"]["attacker_manifesto"] == 1
    assert value not in response.text and "b1" not in response.text


@pytest.mark.parametrize(
    "path", ["/v1/banks", "/v1/banks/b1", "/v1/banks/b1/entries", "/v1/audit", "/v1/keys"]
)
def test_an_observer_sees_nothing_but_figures(api: Api, path: str) -> None:
    api.client.post("/v1/banks", json={"name": "b1"}, headers=api.admin)
    response = api.client.get(path, headers=api.roles[Role.OBSERVER])
    assert response.status_code == 403
    assert "observer" in response.json()["error"]["message"]
