"""Crisis incidents over HTTP: declare, approve to the quorum, run, share hashes, decide
variants, watch live, report.

The instance's quorum is the default, 2: the organisation of the test keys (``local``)
declares and a second one (``beta``) approves.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from fireline.bootstrap import migrate
from fireline.domain import Forbidden, Role
from fireline.domain.incidents import ActivationType
from fireline.services.incidents import Actor
from fireline.settings import Settings
from fireline.testing.media import encode, random_photo
from tests.web.support import Api, make_api

PDQ = "f" * 64
#: PDQ hashes far apart (128 bits and more), so that none folds into another.
PDQ_A = "0" * 64
PDQ_B = "a" * 64
PDQ_C = "5" * 64

Json = dict[str, Any]


def _responder(api: Api, org: str = "local") -> dict[str, str]:
    """Headers with a new responder key of ``org`` (made if it does not exist)."""
    if org not in {o.name for o in api.container.orgs.all()}:
        api.container.orgs.create(name=org)
    count = len(api.container.keys.all())
    _, secret = api.container.keys.create(name=f"responder {count}", role=Role.RESPONDER, org=org)
    return {"Authorization": f"Bearer {secret}"}


def _ok(response: Any, status: int = 200) -> Json:
    assert response.status_code == status, response.text
    body: Json = response.json()
    return body


def _error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code, response.text


def _declare(api: Api, headers: dict[str, str], **fields: str) -> Json:
    body = {"title": "Attack livestream", "activation": "perpetrator_content", **fields}
    return _ok(api.client.post("/v1/incidents", json=body, headers=headers), 201)


def _active(api: Api, **fields: str) -> tuple[Json, dict[str, str], dict[str, str]]:
    """An active incident, with a responder of each approving organisation."""
    local, beta = _responder(api), _responder(api, "beta")
    incident = _declare(api, local, **fields)
    incident = _ok(api.client.post(f"/v1/incidents/{incident['id']}/approvals", headers=beta))
    assert incident["state"] == "active"
    return incident, local, beta


def _state(api: Api, incident_id: int, headers: dict[str, str], state: str) -> Any:
    return api.client.post(
        f"/v1/incidents/{incident_id}/state", json={"state": state}, headers=headers
    )


def _bank_values(api: Api, bank: str) -> set[str]:
    page = _ok(api.client.get(f"/v1/banks/{bank}/entries", headers=api.admin))
    return {e["value"] for e in page["data"]}


def _propose(api: Api, incident_id: int, headers: dict[str, str], body: Json) -> Any:
    return api.client.post(f"/v1/incidents/{incident_id}/variants", json=body, headers=headers)


def test_an_incident_activates_when_a_second_organisation_approves(api: Api) -> None:
    local, beta = _responder(api), _responder(api, "beta")
    declared = _declare(api, local, location="Example City", summary="a stream")
    assert (declared["state"], declared["bank"], declared["quorum"]) == ("proposed", None, 2)
    assert [a["org"] for a in declared["approvals"]] == ["local"]

    path = f"/v1/incidents/{declared['id']}"
    active = _ok(api.client.post(f"{path}/approvals", headers=beta))
    assert active["state"] == "active" and active["activated_at"] is not None
    assert [a["org"] for a in active["approvals"]] == ["local", "beta"]
    assert active["bank"] == f"incident-{declared['id']}"
    bank = _ok(api.client.get(f"/v1/banks/{active['bank']}", headers=api.admin))
    assert bank["sharing"] == "members"

    assert _ok(api.client.get(path, headers=api.reviewer)) == active
    events = _ok(api.client.get(f"{path}/timeline", headers=api.reviewer))["events"]
    assert [e["kind"] for e in events] == ["declared", "approved", "approved", "activated"]
    assert [e["org"] for e in events] == ["local", "local", "beta", "beta"]
    later = _ok(api.client.get(f"{path}/timeline?after=2&limit=1", headers=api.reviewer))
    assert ([e["seq"] for e in later["events"]], later["next_after"]) == ([3], 3)


def test_incidents_are_listed_newest_first_and_by_state(api: Api) -> None:
    first, local, _ = _active(api)
    second = _declare(api, local, title="Second")

    def ids(query: str) -> list[int]:
        found = _ok(api.client.get(f"/v1/incidents{query}", headers=api.reviewer))
        return [i["id"] for i in found["incidents"]]

    assert ids("") == [second["id"], first["id"]]
    assert ids("?state=active") == [first["id"]]
    assert ids("?state=active&state=proposed") == [second["id"], first["id"]]
    assert ids("?state=concluded") == []
    assert ids("?limit=1") == [second["id"]]


def test_one_organisation_cannot_activate_an_incident_alone(api: Api) -> None:
    local = _responder(api)
    incident = _declare(api, local)
    # Another key of the declaring organisation: still the same organisation's approval.
    again = api.client.post(f"/v1/incidents/{incident['id']}/approvals", headers=_responder(api))
    _error(again, 409, "already_approved")
    _error(_state(api, incident["id"], local, "active"), 409, "invalid_transition")
    found = _ok(api.client.get(f"/v1/incidents/{incident['id']}", headers=api.reviewer))
    assert (found["state"], len(found["approvals"]), found["bank"]) == ("proposed", 1, None)


def test_an_active_incident_takes_no_more_approvals(api: Api) -> None:
    incident, _, _ = _active(api)
    late = api.client.post(
        f"/v1/incidents/{incident['id']}/approvals", headers=_responder(api, "gamma")
    )
    _error(late, 409, "not_proposed")


def test_an_organisation_that_is_not_a_member_cannot_declare_or_approve(api: Api) -> None:
    # Over HTTP every key belongs to an organisation of this instance, which is a member;
    # a non-member (a hub's revoked peer, say) is refused by the service itself.
    incident = _declare(api, _responder(api))
    stranger = Actor(name="key:x@stranger", org="stranger")
    with pytest.raises(Forbidden) as declared:
        api.container.incidents.declare(
            title="t", activation=ActivationType.PERPETRATOR_CONTENT, actor=stranger
        )
    with pytest.raises(Forbidden) as approved:
        api.container.incidents.approve(incident_id=incident["id"], actor=stranger)
    assert declared.value.code == approved.value.code == "not_member"
    assert len(api.container.incidents.all()) == 1


def test_submitted_hashes_are_matchable_at_once(api: Api) -> None:
    incident, local, _ = _active(api)
    path = f"/v1/incidents/{incident['id']}/hashes"
    body = {"signals": [{"signal_type": "pdq", "value": PDQ}], "note": "from the stream"}
    results = _ok(api.client.post(path, json=body, headers=local), 201)["results"]
    [entry] = results[0]["added"]
    assert entry["bank"] == incident["bank"] and entry["contributor"] == "local"
    assert set(entry["labels"]) == {
        "basis:crisis_incident",
        "category:perpetrator_livestream",
        f"entity:incident-{incident['id']}",
    }

    photo = encode(random_photo(7))
    uploaded = api.client.post(
        path,
        files={"file": ("p.png", photo)},
        data={"label": ["category:glorification"]},
        headers=local,
    )
    [added] = _ok(uploaded, 201)["results"]
    assert {e["signal_type"] for e in added["added"]} == {"pdq", "md5", "sha256"}
    assert "category:glorification" in added["added"][0]["labels"]

    by_signal = api.client.post(
        "/v1/match", json={"signals": [{"signal_type": "pdq", "value": PDQ}]}, headers=api.matcher
    )
    assert [m["bank"] for m in _ok(by_signal)["matches"]] == [incident["bank"]]
    by_file = api.client.post("/v1/match", files={"file": ("q.png", photo)}, headers=api.matcher)
    assert {m["bank"] for m in _ok(by_file)["matches"]} == {incident["bank"]}

    found = _ok(api.client.get(f"/v1/incidents/{incident['id']}", headers=api.reviewer))
    assert found["first_hash_at"] is not None


@pytest.mark.parametrize("how", ["proposed", "concluded", "awareness"])
def test_an_incident_that_is_not_open_takes_no_hashes(api: Api, how: str) -> None:
    local = _responder(api)
    if how == "proposed":
        incident = _declare(api, local)
    elif how == "awareness":
        incident, local, _ = _active(api, activation="awareness")
    else:
        incident, local, _ = _active(api)
        _ok(_state(api, incident["id"], local, "concluded"))
    body = {"signals": [{"signal_type": "pdq", "value": PDQ}]}
    response = api.client.post(f"/v1/incidents/{incident['id']}/hashes", json=body, headers=local)
    _error(response, 409, "incident_not_open")
    proposal = _propose(api, incident["id"], local, body)
    _error(proposal, 409, "incident_not_open")
    assert all(b.entry_count == 0 for b in api.container.banks.all())


# (path of states from active, the state asked for, the answer's status, its code).
TRANSITIONS = [
    ([], "monitoring", 200, None),
    (["monitoring"], "active", 200, None),
    (["monitoring"], "concluded", 200, None),
    ([], "active", 409, "invalid_transition"),
    (["concluded"], "active", 409, "invalid_transition"),
    (["concluded"], "monitoring", 409, "invalid_transition"),
    (["concluded"], "concluded", 409, "invalid_transition"),
    ([], "debriefed", 422, "invalid_transition"),
    ([], "proposed", 422, "invalid_transition"),
    ([], "paused", 422, "invalid_request"),
]


@pytest.mark.parametrize(("before", "state", "status", "code"), TRANSITIONS)
def test_state_changes_follow_the_framework(
    api: Api, before: list[str], state: str, status: int, code: str | None
) -> None:
    incident, local, _ = _active(api)
    for step in before:
        _ok(_state(api, incident["id"], local, step))
    response = _state(api, incident["id"], local, state)
    if code is None:
        assert _ok(response, status)["state"] == state
    else:
        _error(response, status, code)
        found = _ok(api.client.get(f"/v1/incidents/{incident['id']}", headers=api.reviewer))
        assert found["state"] == (before[-1] if before else "active")


def test_an_incident_is_updated_until_it_is_concluded(api: Api) -> None:
    incident, local, _ = _active(api)
    path = f"/v1/incidents/{incident['id']}"
    changed = _ok(api.client.patch(path, json={"summary": "now on two sites"}, headers=local))
    assert (changed["summary"], changed["title"]) == ("now on two sites", incident["title"])
    _error(api.client.patch(path, json={}, headers=local), 422, "missing_field")
    _ok(
        api.client.post(f"{path}/state", json={"state": "concluded", "note": "over"}, headers=local)
    )
    _error(api.client.patch(path, json={"title": "x"}, headers=local), 409, "incident_closed")
    kinds = [e["kind"] for e in _ok(api.client.get(f"{path}/timeline", headers=local))["events"]]
    assert kinds[-2:] == ["updated", "concluded"]


def test_variants_are_proposed_folded_accepted_and_rejected(api: Api) -> None:
    incident, local, beta = _active(api)
    iid, bank = incident["id"], incident["bank"]
    a = {"signals": [{"signal_type": "pdq", "value": PDQ_A}]}
    b = {"signals": [{"signal_type": "pdq", "value": PDQ_B}]}

    first = _ok(_propose(api, iid, local, a), 201)
    assert first["outcome"] == "proposed"
    assert (first["variant"]["state"], first["variant"]["proposals"]) == ("proposed", 1)
    folded = _ok(_propose(api, iid, beta, a), 200)
    assert folded["outcome"] == "folded"
    assert folded["variant"]["id"] == first["variant"]["id"]
    assert (folded["variant"]["proposals"], folded["variant"]["orgs"]) == (2, ["local", "beta"])
    second = _ok(_propose(api, iid, local, b), 201)["variant"]

    def listed(query: str = "") -> list[int]:
        found = _ok(api.client.get(f"/v1/incidents/{iid}/variants{query}", headers=api.reviewer))
        return [v["id"] for v in found["variants"]]

    assert listed() == listed("?state=proposed") == [first["variant"]["id"], second["id"]]

    accepted = api.client.post(
        f"/v1/variants/{first['variant']['id']}/accept",
        json={"reason": "same stream"},
        headers=beta,
    )
    assert (_ok(accepted)["state"], accepted.json()["automatic"]) == ("accepted", False)
    rejected = _ok(api.client.post(f"/v1/variants/{second['id']}/reject", headers=local))
    assert rejected["state"] == "rejected"
    assert _bank_values(api, bank) == {PDQ_A}
    assert listed("?state=rejected") == [second["id"]]

    again = api.client.post(f"/v1/variants/{second['id']}/accept", headers=local)
    _error(again, 409, "variant_decided")
    kinds = [
        e["kind"]
        for e in _ok(api.client.get(f"/v1/incidents/{iid}/timeline", headers=local))["events"]
    ]
    assert kinds[-4:] == [
        "variant_proposed",
        "variant_proposed",
        "variant_accepted",
        "variant_rejected",
    ]


@pytest.mark.parametrize(
    ("distance", "status", "outcome"),
    [(31, 201, "accepted"), (3, 200, "known"), (40, 201, "proposed")],
    ids=["within-threshold", "near-identical", "beyond-threshold"],
)
def test_the_evidence_decides_what_a_proposal_does(
    api: Api, distance: int, status: int, outcome: str
) -> None:
    incident, local, _ = _active(api)
    body = {
        "signals": [{"signal_type": "pdq", "value": PDQ_C, "quality": 90}],
        "evidence": [
            {"signal_type": "pdq", "entry_uid": "abc:1", "distance": distance, "threshold": 31}
        ],
    }
    proposal = _ok(_propose(api, incident["id"], local, body), status)
    assert proposal["outcome"] == outcome
    if outcome == "known":
        assert proposal["variant"] is None
    else:
        [evidence] = proposal["variant"]["evidence"]
        assert (evidence["org"], evidence["distance"]) == ("local", distance)
    assert (_bank_values(api, incident["bank"]) == {PDQ_C}) is (outcome == "accepted")


def test_the_live_view_counts_matches_per_member(api: Api) -> None:
    incident, local, _ = _active(api)
    iid = incident["id"]
    hashes = {"signals": [{"signal_type": "pdq", "value": PDQ}]}
    _ok(api.client.post(f"/v1/incidents/{iid}/hashes", json=hashes, headers=local), 201)
    _ok(api.client.post("/v1/match", json=hashes, headers=api.matcher))
    _ok(_propose(api, iid, local, {"signals": [{"signal_type": "pdq", "value": PDQ_A}]}), 201)

    live = _ok(api.client.get(f"/v1/incidents/{iid}/live", headers=api.reviewer))
    figures = live["figures"]
    assert live["incident"]["id"] == iid
    assert figures["seconds_to_activation"] >= 0 and figures["seconds_to_first_hash"] >= 0
    assert (figures["entries"], figures["matched"], figures["blocked"]) == (1, 1, 1)
    assert figures["variants"] == {"proposed": 1, "accepted": 0, "rejected": 0}
    assert live["members"] == [{"org": "local", "matched": 1, "blocked": 1}]
    assert [(m["org"], m["matched"]) for m in live["per_minute"]] == [("local", 1)]
    assert PDQ not in json.dumps(live)


def test_the_report_of_a_concluded_incident_debriefs_it(api: Api) -> None:
    incident, local, _ = _active(api, title="Attack at the Example Mall")
    path = f"/v1/incidents/{incident['id']}"
    hashes = {"signals": [{"signal_type": "pdq", "value": PDQ}]}
    _ok(api.client.post(f"{path}/hashes", json=hashes, headers=local), 201)

    interim = _ok(api.client.post(f"{path}/report", headers=local))
    assert (interim["format"], interim["interim"]) == ("fireline.incident_debrief/1", True)
    assert _ok(api.client.get(path, headers=local))["state"] == "active"

    _ok(_state(api, incident["id"], local, "concluded"))
    html = api.client.post(f"{path}/report?format=html", headers=local)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "Attack at the Example Mall" in html.text and PDQ not in html.text
    assert _ok(api.client.get(path, headers=local))["state"] == "debriefed"

    members = _ok(api.client.post(f"{path}/report", headers=local))
    assert members["interim"] is False and members["figures"]["entries"] == 1
    assert {a["org"] for a in members["incident"]["approvals"]} == {"local", "beta"}
    public = _ok(api.client.post(f"{path}/report?audience=public", headers=local))
    text = json.dumps(public)
    assert "beta" not in text and "local" not in text and PDQ not in text
    assert public["incident"]["declared_org"] == "member 1"


BAD_REQUESTS = [
    ("POST", "/v1/incidents", {"title": "t", "activation": "bogus"}, "invalid_request"),
    ("POST", "/v1/incidents", {"activation": "awareness"}, "invalid_request"),
    ("POST", "/v1/incidents", {"title": "t", "activation": "awareness", "x": 1}, "invalid_request"),
    ("POST", "/v1/incidents", {"title": "  ", "activation": "awareness"}, "missing_field"),
    ("POST", "/v1/incidents", {"title": "t" * 201, "activation": "awareness"}, "text_too_long"),
    ("POST", "/v1/incidents", {"title": "nul \u0000", "activation": "awareness"}, "invalid_text"),
    ("GET", "/v1/incidents?state=bogus", None, "invalid_request"),
    ("GET", "/v1/incidents?limit=0", None, "invalid_request"),
    ("PATCH", "/v1/incidents/{id}", {"title": 5}, "invalid_request"),
    ("POST", "/v1/incidents/{id}/state", {"state": "active", "note": 1}, "invalid_request"),
    ("POST", "/v1/incidents/{id}/hashes", {"signals": []}, "invalid_body"),
    (
        "POST",
        "/v1/incidents/{id}/hashes",
        {"signals": [{"signal_type": "pdq", "value": "xyz"}]},
        "malformed_signal",
    ),
    (
        "POST",
        "/v1/incidents/{id}/hashes",
        {"signals": [{"signal_type": "photodna", "value": "ab"}]},
        "unknown_signal_type",
    ),
    (
        "POST",
        "/v1/incidents/{id}/hashes",
        {"signals": [{"signal_type": "pdq", "value": PDQ}], "labels": ["colour:red"]},
        "unknown_label",
    ),
    ("POST", "/v1/incidents/{id}/variants", {"signals": []}, "invalid_request"),
    (
        "POST",
        "/v1/incidents/{id}/variants",
        {"signals": [{"signal_type": "pdq", "value": "xyz"}]},
        "malformed_signal",
    ),
    (
        "POST",
        "/v1/incidents/{id}/variants",
        {
            "signals": [{"signal_type": "pdq", "value": PDQ}],
            "evidence": [{"signal_type": "pdq", "distance": -1, "threshold": 31}],
        },
        "invalid_request",
    ),
    ("GET", "/v1/incidents/{id}/variants?state=bogus", None, "invalid_request"),
    ("GET", "/v1/incidents/{id}/timeline?after=-1", None, "invalid_request"),
    ("POST", "/v1/incidents/{id}/report?audience=press", None, "invalid_request"),
    ("POST", "/v1/incidents/{id}/report?format=pdf", None, "invalid_request"),
    ("GET", "/v1/incidents/abc", None, "invalid_request"),
]


@pytest.mark.parametrize(("method", "path", "body", "code"), BAD_REQUESTS)
def test_malformed_requests_are_refused_and_change_nothing(
    api: Api, method: str, path: str, body: Json | None, code: str
) -> None:
    incident, local, _ = _active(api)
    before = _ok(api.client.get(f"/v1/incidents/{incident['id']}/timeline", headers=local))
    url = path.replace("{id}", str(incident["id"]))
    _error(api.client.request(method, url, json=body, headers=local), 422, code)
    assert [i.id for i in api.container.incidents.all()] == [incident["id"]]
    after = _ok(api.client.get(f"/v1/incidents/{incident['id']}/timeline", headers=local))
    assert after == before
    assert api.container.variants.all(incident_id=incident["id"]) == []
    assert _bank_values(api, incident["bank"]) == set()


_HASHES = {"signals": [{"signal_type": "pdq", "value": PDQ}]}
UNKNOWN = [
    ("GET", "/v1/incidents/{id}", None),
    ("PATCH", "/v1/incidents/{id}", {"title": "t"}),
    ("POST", "/v1/incidents/{id}/approvals", None),
    ("POST", "/v1/incidents/{id}/state", {"state": "concluded"}),
    ("POST", "/v1/incidents/{id}/hashes", _HASHES),
    ("GET", "/v1/incidents/{id}/timeline", None),
    ("GET", "/v1/incidents/{id}/variants", None),
    ("POST", "/v1/incidents/{id}/variants", _HASHES),
    ("GET", "/v1/incidents/{id}/live", None),
    ("POST", "/v1/incidents/{id}/report", None),
    ("POST", "/v1/variants/{id}/accept", None),
    ("POST", "/v1/variants/{id}/reject", {"reason": "no"}),
]


@pytest.mark.parametrize(("method", "path", "body"), UNKNOWN)
def test_unknown_ids_are_not_found(api: Api, method: str, path: str, body: Json | None) -> None:
    _active(api)
    local = _responder(api)
    code = "variant_not_found" if path.startswith("/v1/variants") else "incident_not_found"
    # Ids no SQL integer column can hold are simply not found, like ids never given out.
    for missing in (999, 0, -1, 2**63, 2**70):
        url = path.replace("{id}", str(missing))
        _error(api.client.request(method, url, json=body, headers=local), 404, code)


@pytest.fixture
def member_api(sqlite_url: str) -> Iterator[Api]:
    """A member instance of the hub ``hub``, its threads not started (nothing to reach)."""
    settings = Settings(database_url=sqlite_url, incident_hub="hub", exchange_sync=False)
    migrate(settings)
    yield from make_api(settings)


def test_the_hub_link_of_a_member_that_has_not_reached_its_hub(member_api: Api) -> None:
    link = _ok(member_api.client.get("/v1/incidents/hub", headers=member_api.reviewer))
    assert link == {
        "hub": "hub",
        "incidents": [],
        "following": [],
        "pending_proposals": 0,
        "proposals_made": 0,
        "pending_tallies": 0,
        "last_error": None,
        "last_seen_at": None,
    }


def test_an_instance_that_follows_no_hub_has_no_hub_link(api: Api) -> None:
    # Not taken for an incident id (that would be 422): the route is its own.
    response = api.client.get("/v1/incidents/hub", headers=api.reviewer)
    _error(response, 404, "no_incident_hub")
    assert "FIRELINE_INCIDENT_HUB" in response.json()["error"]["message"]
