"""Every HTTP route against every role: 403 exactly when the role lacks the route's permission.

ROUTES is the one table of what each route needs. A route the app serves that is missing
from it fails the test: a new route must be added here, with its permission.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from fireline.bootstrap import build
from fireline.domain import Permission, Role, allows
from fireline.settings import Settings
from fireline.web import create_app
from tests.backends import SQL_BACKENDS, backend_url
from tests.web.support import Api, make_api

P = Permission

#: Routes that take no API key: public, or signed by an exchange peer's key instead.
NO_API_KEY = None

ROUTES: dict[tuple[str, str], Permission | None] = {
    ("GET", "/healthz"): NO_API_KEY,
    # Sends people to the web UI (mounted at /ui, with its own login).
    ("GET", "/"): NO_API_KEY,
    ("GET", "/readyz"): NO_API_KEY,
    # Hashing, matching and live watches.
    ("POST", "/v1/hash"): P.MATCH,
    ("POST", "/v1/match"): P.MATCH,
    ("POST", "/v1/watches"): P.MATCH,
    ("GET", "/v1/watches"): P.MATCH,
    ("GET", "/v1/watches/{watch_id}"): P.MATCH,
    ("DELETE", "/v1/watches/{watch_id}"): P.MATCH,
    ("GET", "/v1/watches/{watch_id}/events"): P.MATCH,
    # Banks: names and counts, then their contents, then changes.
    ("GET", "/v1/banks"): P.READ_BANKS,
    ("GET", "/v1/banks/{name}"): P.READ_BANKS,
    ("GET", "/v1/banks/{name}/entries"): P.READ_ENTRIES,
    ("GET", "/v1/entries/{entry_id}"): P.READ_ENTRIES,
    ("GET", "/v1/banks/{name}/export"): P.READ_ENTRIES,
    ("POST", "/v1/banks"): P.CURATE,
    ("PATCH", "/v1/banks/{name}"): P.CURATE,
    ("DELETE", "/v1/banks/{name}"): P.CURATE,
    ("POST", "/v1/banks/{name}/entries"): P.CURATE,
    ("POST", "/v1/entries/{entry_id}/retract"): P.CURATE,
    ("POST", "/v1/banks/{name}/import"): P.CURATE,
    # Opinions on entries.
    ("POST", "/v1/entries/{entry_id}/opinions"): P.OPINE,
    ("GET", "/v1/entries/{entry_id}/opinions"): P.READ_ENTRIES,
    # Keys and organisations.
    ("GET", "/v1/keys"): P.ADMIN,
    ("POST", "/v1/keys"): P.ADMIN,
    ("DELETE", "/v1/keys/{key_id}"): P.ADMIN,
    ("GET", "/v1/orgs"): P.ADMIN,
    ("POST", "/v1/orgs"): P.ADMIN,
    # Oversight.
    ("GET", "/v1/audit"): P.READ_AUDIT,
    ("GET", "/v1/audit/verify"): P.READ_AUDIT,
    ("GET", "/v1/figures"): P.READ_FIGURES,
    ("GET", "/v1/transparency"): P.READ_FIGURES,
    ("GET", "/v1/transparency/article7"): P.READ_FIGURES,
    # Crisis incidents: reading them, then running them.
    ("GET", "/v1/incidents"): P.READ_INCIDENTS,
    ("GET", "/v1/incidents/hub"): P.READ_INCIDENTS,
    ("GET", "/v1/incidents/{incident_id}"): P.READ_INCIDENTS,
    ("GET", "/v1/incidents/{incident_id}/timeline"): P.READ_INCIDENTS,
    ("GET", "/v1/incidents/{incident_id}/variants"): P.READ_INCIDENTS,
    ("GET", "/v1/incidents/{incident_id}/live"): P.READ_INCIDENTS,
    ("POST", "/v1/incidents"): P.RESPOND,
    ("PATCH", "/v1/incidents/{incident_id}"): P.RESPOND,
    ("POST", "/v1/incidents/{incident_id}/approvals"): P.RESPOND,
    ("POST", "/v1/incidents/{incident_id}/state"): P.RESPOND,
    ("POST", "/v1/incidents/{incident_id}/hashes"): P.RESPOND,
    ("POST", "/v1/incidents/{incident_id}/variants"): P.RESPOND,
    ("POST", "/v1/variants/{variant_id}/accept"): P.RESPOND,
    ("POST", "/v1/variants/{variant_id}/reject"): P.RESPOND,
    # A POST: the report of a concluded incident marks it debriefed.
    ("POST", "/v1/incidents/{incident_id}/report"): P.RESPOND,
    # Screening uploads and filing reports and appeals: a platform's pipeline.
    ("POST", "/v1/uploads"): P.SCREEN,
    ("POST", "/v1/reports"): P.SCREEN,
    ("POST", "/v1/cases/{case_id}/appeals"): P.SCREEN,
    # Reviewing cases and appeals.
    ("GET", "/v1/queue"): P.REVIEW,
    ("GET", "/v1/cases"): P.REVIEW,
    ("GET", "/v1/cases/{case_id}"): P.REVIEW,
    ("GET", "/v1/cases/{case_id}/media"): P.REVIEW,
    ("POST", "/v1/cases/{case_id}/reveal"): P.REVIEW,
    ("GET", "/v1/exposure"): P.REVIEW,
    ("POST", "/v1/cases/{case_id}/decision"): P.REVIEW,
    ("GET", "/v1/appeals"): P.REVIEW,
    ("GET", "/v1/appeals/{appeal_id}"): P.REVIEW,
    ("POST", "/v1/appeals/{appeal_id}/decision"): P.REVIEW,
    ("GET", "/v1/quarantine"): P.REVIEW,
    ("POST", "/v1/quarantine/{entry_id}/release"): P.REVIEW,
    # EU TCO legal workflows: removal orders, preservation holds, notices to users.
    ("POST", "/v1/orders"): P.LEGAL,
    ("GET", "/v1/orders"): P.LEGAL,
    ("GET", "/v1/orders/{order_id}"): P.LEGAL,
    ("POST", "/v1/orders/{order_id}/comply"): P.LEGAL,
    ("POST", "/v1/orders/{order_id}/refuse"): P.LEGAL,
    ("POST", "/v1/orders/{order_id}/proceedings"): P.LEGAL,
    ("GET", "/v1/orders/{order_id}/proceedings"): P.LEGAL,
    ("GET", "/v1/proceedings/{proceeding_id}"): P.LEGAL,
    ("POST", "/v1/proceedings/{proceeding_id}/decision"): P.LEGAL,
    ("GET", "/v1/holds"): P.LEGAL,
    ("POST", "/v1/holds/{hold_id}/extend"): P.LEGAL,
    ("POST", "/v1/holds/{hold_id}/release"): P.LEGAL,
    # Purges what expired: nothing has, in the matrix, so it changes nothing.
    ("POST", "/v1/holds/purge"): P.LEGAL,
    ("GET", "/v1/notices"): P.LEGAL,
    ("POST", "/v1/notices"): P.LEGAL,
    # The exchange: peers sign their own requests; its configuration is admin's.
    ("GET", "/v1/exchange/identity"): NO_API_KEY,
    ("GET", "/v1/exchange/feeds/{bank}/batches"): NO_API_KEY,
    ("GET", "/v1/exchange/feeds/{bank}/stream"): NO_API_KEY,
    ("POST", "/v1/exchange/feeds/{bank}/contributions"): NO_API_KEY,
    ("GET", "/v1/exchange/incidents"): NO_API_KEY,
    ("POST", "/v1/exchange/incidents"): NO_API_KEY,
    ("POST", "/v1/exchange/incidents/{incident_id}/approvals"): NO_API_KEY,
    ("POST", "/v1/exchange/incidents/{incident_id}/hashes"): NO_API_KEY,
    ("POST", "/v1/exchange/incidents/{incident_id}/variants"): NO_API_KEY,
    ("POST", "/v1/exchange/incidents/{incident_id}/tallies"): NO_API_KEY,
    ("GET", "/v1/exchange/peers"): P.ADMIN,
    ("POST", "/v1/exchange/peers"): P.ADMIN,
    ("DELETE", "/v1/exchange/peers/{name}"): P.ADMIN,
    ("GET", "/v1/exchange/subscriptions"): P.ADMIN,
    ("POST", "/v1/exchange/subscriptions"): P.ADMIN,
    ("POST", "/v1/exchange/sync"): P.ADMIN,
    ("GET", "/v1/exchange/status"): P.ADMIN,
    ("GET", "/v1/exchange/verify/{bank}"): P.ADMIN,
}

# Path parameters name nothing that exists, so that a permitted call changes nothing (it
# answers 404 or 422): the matrix reuses one app and one set of keys for every call.
_ABSENT = {"name": "no-such-bank", "bank": "no-such-bank"}
_PARAMETER = re.compile(r"\{(\w+)\}")


def _concrete(path: str) -> str:
    return _PARAMETER.sub(lambda m: _ABSENT.get(m.group(1), "999999"), path)


def served_routes() -> set[tuple[str, str]]:
    """Every (method, path template) the app serves: its OpenAPI and its hidden API routes."""
    container = build(Settings(database_url="memory://"))
    try:
        app = create_app(container)
        with TestClient(app) as client:
            paths = client.get("/openapi.json").json()["paths"]
        served = {(m.upper(), path) for path, ops in paths.items() for m in ops}
        for route in app.routes:
            if isinstance(route, APIRoute):
                served |= {(m, route.path) for m in route.methods - {"HEAD"}}
        return served
    finally:
        container.close()


def test_every_route_has_a_permission_in_the_table() -> None:
    served = served_routes()
    assert sorted(served - ROUTES.keys()) == [], "add these routes to ROUTES"
    assert sorted(ROUTES.keys() - served) == [], "these routes are gone: remove them"


@pytest.fixture(params=SQL_BACKENDS)
def matrix_api(request: pytest.FixtureRequest) -> Iterator[Api]:
    settings = Settings(database_url=backend_url(request, request.param, migrated=True))
    yield from make_api(settings)


def _calls() -> Iterator[tuple[str, str, Permission]]:
    for (method, path), permission in sorted(ROUTES.items()):
        if permission is not None:
            yield method, path, permission


def test_each_role_is_refused_exactly_the_routes_it_lacks_the_permission_for(
    matrix_api: Api,
) -> None:
    api = matrix_api
    wrong: list[str] = []
    for method, path, permission in _calls():
        for role in Role:
            response = api.client.request(method, _concrete(path), headers=api.roles[role])
            forbidden = (
                response.status_code == 403
                and response.json().get("error", {}).get("code") == "forbidden"
            )
            if not allows(role, permission):
                if not forbidden:
                    wrong.append(f"{role} {method} {path}: {response.status_code}, not 403")
                elif permission.value not in response.json()["error"]["message"]:
                    wrong.append(f"{role} {method} {path}: 403 without naming {permission}")
            elif response.status_code in (401, 403):
                wrong.append(f"{role} {method} {path}: {response.status_code} ({permission})")
    assert wrong == []


def test_the_matrix_changed_nothing_but_the_keys(matrix_api: Api) -> None:
    # Permitted calls answered errors: no bank, entry, incident, organisation or record
    # appeared.
    records = len(matrix_api.container.audit.records(limit=1000))
    for method, path, _ in _calls():
        matrix_api.client.request(method, _concrete(path), headers=matrix_api.admin)
    assert matrix_api.container.banks.all() == []
    assert matrix_api.container.incidents.all() == []
    assert matrix_api.container.review.list_cases() == []
    assert matrix_api.container.orders.list_orders() == []
    assert matrix_api.container.proceedings.list_proceedings() == []
    assert len(matrix_api.container.audit.records(limit=1000)) == records
