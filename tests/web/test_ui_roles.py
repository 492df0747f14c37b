"""The web UI's sessions and permissions, without a browser: every page against every role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from fireline.bootstrap import Container, build
from fireline.domain import Permission, Role, Signal, allows
from fireline.settings import Settings
from fireline.testing.prose import Prose, paragraphs
from fireline.web import create_app
from fireline.web.ui.session import COOKIE, Sessions

P = Permission

#: Each UI page and the permission it needs (None: any logged-in key).
PAGES: dict[tuple[str, str], Permission | None] = {
    ("GET", "/ui/"): None,
    ("GET", "/ui/banks"): P.READ_BANKS,
    ("GET", "/ui/banks/no-such-bank"): P.READ_ENTRIES,
    ("POST", "/ui/entries/999/retract"): P.CURATE,
    ("GET", "/ui/match"): P.MATCH,
    ("POST", "/ui/match"): P.MATCH,
    ("GET", "/ui/queue"): P.REVIEW,
    ("GET", "/ui/appeals"): P.REVIEW,
    ("GET", "/ui/cases/999"): P.REVIEW,
    ("GET", "/ui/cases/999/media"): P.REVIEW,
    ("POST", "/ui/cases/999/reveal"): P.REVIEW,
    ("POST", "/ui/cases/999/decision"): P.REVIEW,
    ("POST", "/ui/appeals/999/decision"): P.REVIEW,
    ("GET", "/ui/orders"): P.LEGAL,
    ("GET", "/ui/orders/999"): P.LEGAL,
    ("POST", "/ui/orders/999/comply"): P.LEGAL,
    ("POST", "/ui/orders/999/refuse"): P.LEGAL,
    ("GET", "/ui/holds"): P.LEGAL,
    ("GET", "/ui/holds/999"): P.LEGAL,
    ("POST", "/ui/holds/999/extend"): P.LEGAL,
    ("POST", "/ui/holds/999/release"): P.LEGAL,
    ("GET", "/ui/incidents"): P.READ_INCIDENTS,
    ("GET", "/ui/incidents/999"): P.READ_INCIDENTS,
    ("GET", "/ui/transparency"): P.READ_FIGURES,
    ("GET", "/ui/transparency/report"): P.READ_FIGURES,
    ("GET", "/ui/transparency/article7?year=2026"): P.READ_FIGURES,
    ("GET", "/ui/audit"): P.READ_AUDIT,
}


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[TestClient, Container, dict[Role, str]]]:
    container = build(Settings(database_url="memory://"))
    secrets = {role: container.keys.create(name=f"ui {role}", role=role)[1] for role in Role}
    with TestClient(create_app(container), follow_redirects=False) as client:
        yield client, container, secrets
    container.close()


def _use(client: TestClient, cookie: str | None) -> TestClient:
    """The client with only this session cookie (or none)."""
    client.cookies.clear()
    if cookie is not None:
        client.cookies.set(COOKIE, cookie)
    return client


def _login(client: TestClient, secret: str) -> str:
    response = client.post("/ui/login", data={"api_key": secret, "next": "/ui/queue"})
    assert response.status_code == 303 and response.headers["location"] == "/ui/queue"
    cookie = response.cookies[COOKIE]
    assert secret not in cookie
    set_cookie = response.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=strict" in set_cookie
    return cookie


def test_each_role_is_refused_exactly_the_pages_it_lacks(
    site: tuple[TestClient, Container, dict[Role, str]],
) -> None:
    client, _, secrets = site
    wrong = []
    for role in Role:
        cookie = _login(client, secrets[role])
        for (method, path), permission in PAGES.items():
            response = _use(client, cookie).request(method, path)
            allowed = permission is None or allows(role, permission)
            if allowed and response.status_code in (401, 403, 303):
                wrong.append(f"{role} {method} {path}: {response.status_code}")
            if not allowed and response.status_code != 403:
                wrong.append(f"{role} {method} {path}: {response.status_code}, not 403")
    assert wrong == []


@pytest.mark.parametrize(("method", "path"), list(PAGES))
def test_without_a_session_every_page_sends_people_to_log_in(
    site: tuple[TestClient, Container, dict[Role, str]], method: str, path: str
) -> None:
    client, _, _ = site
    client.cookies.clear()
    response = client.request(method, path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/ui/login?next=")


def test_forged_expired_and_revoked_sessions_are_refused(
    site: tuple[TestClient, Container, dict[Role, str]],
) -> None:
    client, container, _ = site
    key, secret = container.keys.create(name="soon revoked", role=Role.REVIEWER)
    cookie = _login(client, secret)
    assert _use(client, cookie).get("/ui/queue").status_code == 200
    key_id, expires, signature = cookie.split(".")
    forged = f"{int(key_id) + 1}.{expires}.{signature}"
    other_secret = Sessions("x" * 32, hours=1).issue(key)
    expired = Sessions(None, hours=1).issue(key, now=0)
    for bad in (forged, other_secret, expired, "junk", ""):
        assert _use(client, bad).get("/ui/queue").status_code == 303
    container.keys.revoke(key_id=key.id)
    assert _use(client, cookie).get("/ui/queue").status_code == 303


def test_a_wrong_key_is_refused_and_next_never_leaves_the_site(
    site: tuple[TestClient, Container, dict[Role, str]],
) -> None:
    client, _, secrets = site
    client.cookies.clear()
    refused = client.post("/ui/login", data={"api_key": "flk_wrong"})
    assert refused.status_code == 401 and COOKIE not in refused.cookies
    away = client.post(
        "/ui/login", data={"api_key": secrets[Role.ADMIN], "next": "https://evil.example/"}
    )
    assert away.headers["location"] == "/ui/"


def test_cross_site_form_posts_are_refused(
    site: tuple[TestClient, Container, dict[Role, str]],
) -> None:
    client, _, secrets = site
    cookie = _login(client, secrets[Role.ADMIN])
    response = _use(client, cookie).post(
        "/ui/cases/1/decision",
        data={"outcome": "keep", "reason": "x"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403


def test_bad_form_input_gets_an_error_page_and_changes_nothing(
    site: tuple[TestClient, Container, dict[Role, str]],
) -> None:
    client, container, secrets = site
    client = _use(client, _login(client, secrets[Role.ADMIN]))
    case = container.review.open_case(source="report", content_ref="post-1", note="n")
    for data in ({"outcome": "erase", "reason": "x"}, {"outcome": "remove", "reason": ""}):
        response = client.post(f"/ui/cases/{case.id}/decision", data=data)
        assert response.status_code == 422
        assert "nothing was changed" in response.text
    assert container.review.get(case.id).case.state == "open"
    empty = client.post("/ui/match", files={"file": ("", b"")})
    assert empty.status_code == 422
    corrupt = client.post("/ui/match", files={"file": ("x.jpg", b"\xff\xd8\xffjunk")})
    assert corrupt.status_code == 415
    both = client.post("/ui/match", data={"text": "a b c", "url": "https://x.example/"})
    assert both.status_code == 422
    short = client.post("/ui/match", data={"text": "far too short"})
    assert short.status_code == 422 and "20 words" in short.text


def test_the_match_debugger_takes_a_pasted_text_or_link(
    site: tuple[TestClient, Container, dict[Role, str]],
) -> None:
    client, container, secrets = site
    client = _use(client, _login(client, secrets[Role.ADMIN]))
    prose = Prose(12)
    document = prose.document(800)
    container.banks.create(name="ui-texts")
    container.banks.add_content(bank="ui-texts", data=document.encode())
    container.banks.add_signals(bank="ui-texts", signals=[Signal("url", "https://files.example/m")])
    post = prose.document(200) + "\n\n" + "\n\n".join(paragraphs(document)[2:5])
    page = client.post("/ui/match", data={"text": post})
    assert page.status_code == 200, page.text
    assert "text_minhash" in page.text and "characters" in page.text and "containment" in page.text
    link = client.post("/ui/match", data={"url": "HTTP://FILES.example/m#top"})
    assert link.status_code == 200 and "1 match" in link.text


def test_legal_and_curation_forms_refuse_bad_input_and_change_nothing(
    site: tuple[TestClient, Container, dict[Role, str]],
) -> None:
    client, container, secrets = site
    client = _use(client, _login(client, secrets[Role.ADMIN]))
    order = container.orders.receive(
        authority="BKA", reference="UI-BAD-1", content_ref="post-9", reason="glorifies"
    )
    records = len(container.audit.records(limit=1000))
    bad = [
        (f"/ui/orders/{order.id}/comply", {"confirmation": " "}, 422),
        (f"/ui/orders/{order.id}/refuse", {"state": "complied", "justification": "x"}, 422),
        (f"/ui/orders/{order.id}/refuse", {"state": "refused", "justification": ""}, 422),
        ("/ui/orders/9999/comply", {"confirmation": "done"}, 404),
    ]
    for path, data, status in bad:
        response = client.post(path, data=data)
        assert response.status_code == status, path
        assert "nothing was changed" in response.text
    assert container.orders.get(order.id).is_open
    done = client.post(f"/ui/orders/{order.id}/comply", data={"confirmation": "removed"})
    assert done.status_code == 303
    (hold,) = container.orders.file(order.id).holds
    records = len(container.audit.records(limit=1000))
    for path, data, status in [
        (f"/ui/holds/{hold.id}/extend", {"until": "soon", "reason": "court"}, 422),
        (f"/ui/holds/{hold.id}/extend", {"until": "2001-01-01", "reason": "court"}, 422),
        (f"/ui/holds/{hold.id}/extend", {"until": "2999-01-01", "reason": ""}, 422),
        (f"/ui/holds/{hold.id}/release", {"reason": "not needed"}, 409),
        (f"/ui/holds/{hold.id}/release", {"reason": ""}, 422),
        ("/ui/orders?show=lost", None, 422),
        ("/ui/holds?show=lost", None, 422),
        ("/ui/entries/9999/retract", {"reason": "x"}, 404),
    ]:
        response = client.request("POST" if data is not None else "GET", path, data=data)
        assert response.status_code == status, path
        assert "nothing was changed" in response.text
    assert container.holds.get(hold.id) == hold
    assert len(container.audit.records(limit=1000)) == records


def test_a_curator_retracts_an_entry_from_the_bank_page(
    site: tuple[TestClient, Container, dict[Role, str]],
) -> None:
    client, container, secrets = site
    container.banks.create(name="ui-retract")
    (entry,) = container.banks.add_signals(
        bank="ui-retract", signals=[Signal("md5", "a" * 32)]
    ).added
    reviewer = _use(client, _login(client, secrets[Role.REVIEWER])).get("/ui/banks/ui-retract")
    assert reviewer.status_code == 200 and "Retract entry" not in reviewer.text
    client = _use(client, _login(client, secrets[Role.CURATOR]))
    page = client.get("/ui/banks/ui-retract")
    assert f'<label for="retract-reason-{entry.id}">' in page.text
    done = client.post(f"/ui/entries/{entry.id}/retract", data={"reason": "a collision"})
    assert done.status_code == 303
    assert done.headers["location"].startswith("/ui/banks/ui-retract?flash=")
    assert container.banks.entry(entry_id=entry.id).active is False
    page = client.get("/ui/banks/ui-retract")
    assert "retracted: a collision" in page.text and "Retract entry" not in page.text
