"""Every route but health needs a key; matcher keys cannot change state or read entries.

tests/web/test_role_matrix.py checks every route against every role.
"""

from __future__ import annotations

import pytest

from tests.web.support import Api

PUBLIC = {"/healthz", "/readyz", "/v1/exchange/identity"}


def _routes(api: Api) -> list[tuple[str, str]]:
    paths = api.client.get("/openapi.json").json()["paths"]
    return [(method.upper(), path) for path, ops in paths.items() for method in ops]


def _concrete(path: str) -> str:
    for name, value in {
        "{name}": "demo",
        "{entry_id}": "1",
        "{key_id}": "1",
        "{incident_id}": "1",
        "{variant_id}": "1",
    }.items():
        path = path.replace(name, value)
    return path


def test_every_route_but_health_requires_a_key(api: Api) -> None:
    routes = _routes(api)
    assert len(routes) > 10
    for method, path in routes:
        response = api.client.request(method, _concrete(path))
        if path in PUBLIC:
            assert response.status_code == 200, path
        else:
            assert response.status_code == 401, (method, path)
            # Peer routes want a signed request rather than an API key.
            peer_signed = "/exchange/feeds/" in path or "/exchange/incidents" in path
            expected = "unsigned_request" if peer_signed else "unauthenticated"
            assert response.json()["error"]["code"] == expected, (method, path)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer not-a-key"}, 401),
        ({"X-API-Key": "flk_wrong"}, 401),
        ({"Authorization": "Basic abc"}, 401),
    ],
)
def test_missing_or_wrong_key_is_refused(api: Api, headers: dict[str, str], status: int) -> None:
    assert api.client.get("/v1/banks", headers=headers).status_code == status


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/banks", {"name": "x"}),
        ("PATCH", "/v1/banks/demo", {"description": "y"}),
        ("DELETE", "/v1/banks/demo", None),
        ("POST", "/v1/entries/1/retract", {}),
        ("GET", "/v1/keys", None),
        ("POST", "/v1/keys", {"name": "k"}),
    ],
)
def test_matcher_key_cannot_change_state(
    api: Api, method: str, path: str, body: dict[str, str] | None
) -> None:
    response = api.client.request(method, path, json=body, headers=api.matcher)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_matcher_key_reads_banks_and_matches(api: Api) -> None:
    assert api.client.get("/v1/banks", headers=api.matcher).status_code == 200
    body = {"signals": [{"signal_type": "md5", "value": "0" * 32}]}
    assert api.client.post("/v1/match", json=body, headers=api.matcher).status_code == 200


@pytest.mark.parametrize(
    "path", ["/v1/banks/demo/entries", "/v1/entries/1", "/v1/banks/demo/export"]
)
def test_matcher_key_cannot_read_entries_or_export(api: Api, path: str) -> None:
    api.container.banks.create(name="demo")
    response = api.client.get(path, headers=api.matcher)
    assert response.status_code == 403
    message = response.json()["error"]["message"]
    assert "read_entries" in message and "matcher" in message


def test_keys_are_created_for_an_organisation(api: Api) -> None:
    api.client.post("/v1/orgs", json={"name": "acme"}, headers=api.admin)
    created = api.client.post(
        "/v1/keys", json={"name": "k", "role": "curator", "org": "acme"}, headers=api.admin
    )
    assert created.status_code == 201, created.text
    assert (created.json()["org"], created.json()["role"]) == ("acme", "curator")
    default = api.client.post("/v1/keys", json={"name": "k2"}, headers=api.admin).json()
    assert (default["org"], default["role"]) == ("local", "matcher")
    missing = api.client.post("/v1/keys", json={"name": "k3", "org": "nobody"}, headers=api.admin)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "org_not_found"
    names = [k["name"] for k in api.client.get("/v1/keys", headers=api.admin).json()["data"]]
    assert "k3" not in names


def test_revoked_key_stops_working(api: Api) -> None:
    created = api.client.post(
        "/v1/keys", json={"name": "temp", "role": "matcher"}, headers=api.admin
    ).json()
    headers = {"Authorization": f"Bearer {created['secret']}"}
    assert api.client.get("/v1/banks", headers=headers).status_code == 200
    listed = api.client.get("/v1/keys", headers=api.admin).json()
    assert all("secret" not in key for key in listed["data"])
    assert api.client.delete(f"/v1/keys/{created['id']}", headers=api.admin).status_code == 200
    assert api.client.get("/v1/banks", headers=headers).status_code == 401


def test_health_and_readiness_need_no_key(api: Api) -> None:
    assert api.client.get("/healthz").json()["status"] == "ok"
    assert api.client.get("/readyz").json()["status"] == "ready"


@pytest.mark.parametrize("key_id", [2**31, 2**63, 2**70, 0])
def test_revoking_a_key_id_no_column_can_hold_is_not_found(api: Api, key_id: int) -> None:
    # The driver could not bind these ids: a 500 on SQLite, a 503 on PostgreSQL.
    response = api.client.delete(f"/v1/keys/{key_id}", headers=api.admin)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "key_not_found"
    assert all(
        k["revoked_at"] is None
        for k in api.client.get("/v1/keys", headers=api.admin).json()["data"]
    )
